/**
 * join in domain words: it fires exactly once per (run, node), however and in whatever order completions
 * arrive, duplicates included (`all`, `any`, `quorum`), and deciding twice gives the same idempotency key;
 * with a timeout it continues with what arrived, or fails. In `any` / `quorum` mode a failed branch counts
 * as failed, not as a failed run, while k can still be reached; once it cannot, the join fails by its
 * error edge, or fails the run with `join.quorum_unreachable`. An `all` join still lets a failure fail the
 * run.
 */
import { describe, expect, it } from 'vitest';
import { fanOutStarted, fold, joinSatisfied, links, nodeCompleted, nothingNew, runStarted, settle, specFor, stamp, T0, taskCompleted, taskDispatched, taskFailed, timerFired, timerScheduled, workflow, type Fact } from '@/server/testing/given';

const ONCE = { maxAttempts: 1 };
const agent = (id: string) => ({ id, kind: 'agent' as const, config: { agent: id, retry: ONCE } });
/** An agent with the default retry policy (the exactly-once specs). */
const defaultAgent = (id: string) => ({ id, kind: 'agent' as const, config: { agent: id } });
const endNode = (id: string) => ({ id, kind: 'end' as const, config: { outcome: 'success' as const } });
const trigger = { id: 'start', kind: 'trigger' as const };

/** start → fan → a, b, c → join (mode) → after → done */
const fanJoin = (mode: 'all' | 'any' | 'quorum', quorum?: number) =>
  workflow({
    nodes: [trigger, { id: 'fan', kind: 'fanOut' }, defaultAgent('a'), defaultAgent('b'), defaultAgent('c'), { id: 'join', kind: 'join', config: { mode, ...(quorum && { quorum }) } }, defaultAgent('after'), endNode('done')],
    edges: links(['start', 'fan'], ['fan', 'a'], ['fan', 'b'], ['fan', 'c'], ['a', 'join'], ['b', 'join'], ['c', 'join'], ['join', 'after'], ['after', 'done']),
  });

const iso = (ms: number) => new Date(ms).toISOString();
const permutations = <T>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

/** start → fan → a, b, c → join (mode) → done; with `errorEdge`, join's error → escalate (end, failure). */
const threeWays = (join: Record<string, unknown>, errorEdge = false) =>
  workflow({
    nodes: [
      { id: 'start', kind: 'trigger' }, { id: 'fan', kind: 'fanOut' }, agent('a'), agent('b'), agent('c'), { id: 'join', kind: 'join', label: 'Votes', config: join },
      { id: 'done', kind: 'end' }, ...(errorEdge ? [{ id: 'escalate', kind: 'end' as const, config: { outcome: 'failure' as const } }] : []),
    ],
    edges: links(['start', 'fan'], ['fan', 'a'], ['fan', 'b'], ['fan', 'c'], ['a', 'join'], ['b', 'join'], ['c', 'join'], ['join', 'done'], ...(errorEdge ? ([['join', 'escalate', 'error']] as [string, string, string][]) : [])),
  });

const fannedOut: Fact[] = [runStarted(), nodeCompleted('start'), fanOutStarted('fan', ['a', 'b', 'c']), taskDispatched('a'), taskDispatched('b'), taskDispatched('c')];

describe('join: fires exactly once per run, however completions arrive', () => {
  it('all: only when the last branch completes', () => {
    const given = specFor(fanJoin('all'));
    given(...fannedOut, taskCompleted('a')).when(taskCompleted('b')).thenNothing();
    given(...fannedOut, taskCompleted('a'), taskCompleted('b')).when(taskCompleted('c')).then([joinSatisfied('join', ['a', 'b', 'c'])]);
  });

  it('all: a duplicate completion after the join fired decides nothing and changes nothing but the cursor', () => {
    const given = specFor(fanJoin('all'));
    const history = [...fannedOut, taskCompleted('a'), taskCompleted('b'), taskCompleted('c'), joinSatisfied('join')];
    const before = given(...history).state;
    const after = given(...history).when(taskCompleted('c', { by: 'c', again: true }));
    after.then([{ type: 'task.dispatched', payload: { nodeId: 'after' } }]);
    expect({ ...after.state, lastSeq: 0, lastEventId: null }).toStrictEqual({ ...before, lastSeq: 0, lastEventId: null });
    expect(after.state.results.c).toEqual({ by: 'c' });
  });

  it('deciding twice on the same state gives the same idempotency key, so the log keeps one join.satisfied', () => {
    const given = specFor(fanJoin('all'));
    const history = [...fannedOut, taskCompleted('a'), taskCompleted('b'), taskCompleted('c')];
    const first = given(...history).when(nothingNew).decisions;
    const second = given(...history).when(nothingNew, { now: T0 + 99_999 }).decisions;
    expect(first.map((d) => d.idempotencyKey)).toEqual(second.map((d) => d.idempotencyKey));
    expect(first.filter((d) => d.type === 'join.satisfied')).toHaveLength(1);
  });

  it.each([
    ['all', undefined, 3],
    ['any', undefined, 1],
    ['quorum', 2, 2],
  ] as const)('%s: in every order of completions, with duplicates, it fires once, after the %#th needed arrival', (mode, quorum, needed) => {
    const wf = fanJoin(mode, quorum);
    for (const order of permutations(['a', 'b', 'c'])) {
      const completions = order.flatMap((id) => [taskCompleted(id), taskCompleted(id)]);
      let facts: Fact[] = [...fannedOut];
      let fired = 0;
      for (const c of completions) {
        const settled = settle(wf, [...facts, c]);
        facts = settled.facts;
        fired += settled.decisions.filter((d) => d.type === 'join.satisfied').length;
      }
      expect(fired, `order ${order.join(',')}`).toBe(1);
      const joinAt = facts.findIndex((f) => f.type === 'join.satisfied');
      const distinctBefore = new Set(facts.slice(0, joinAt).filter((f) => f.type === 'task.completed').map((f) => f.payload.nodeId)).size;
      expect(distinctBefore).toBe(needed);
      expect(fold(wf, stamp(facts)).nodes.join!.status).toBe('done');
    }
  });

  it('quorum: fails the run readably when the quorum can no longer be reached', () => {
    const wf = workflow({
      nodes: [trigger, { id: 'fan', kind: 'fanOut' }, defaultAgent('a'), defaultAgent('b'), defaultAgent('c'), defaultAgent('z'), { id: 'r', kind: 'router', config: { routes: [{ id: 'on', condition: 'false' }] } }, { id: 'join', kind: 'join', config: { mode: 'quorum', quorum: 3 } }, endNode('done'), endNode('z-end')],
      edges: links(['start', 'fan'], ['fan', 'a'], ['fan', 'b'], ['fan', 'r'], ['r', 'c', 'on'], ['r', 'z', 'default'], ['z', 'z-end'], ['a', 'join'], ['b', 'join'], ['c', 'join'], ['join', 'done']),
    });
    const { decisions } = settle(wf, [runStarted()]);
    expect(decisions.at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'join.quorum_unreachable', nodeId: 'join', reason: 'Join join needs 3 inputs but only 2 can still arrive (1 of 3 failed or were skipped)' } });
  });

  it('with a timeout: the timer starts with the fan-out, as the designer reads; on expiry `continue` fires with what arrived, `fail` fails', () => {
    for (const onTimeout of ['continue', 'fail'] as const) {
      const wf = workflow({
        nodes: [trigger, { id: 'fan', kind: 'fanOut' }, defaultAgent('a'), defaultAgent('b'), { id: 'join', kind: 'join', config: { mode: 'all', timeoutMs: 5_000, onTimeout } }, endNode('done')],
        edges: links(['start', 'fan'], ['fan', 'a'], ['fan', 'b'], ['a', 'join'], ['b', 'join'], ['join', 'done']),
      });
      const given = specFor(wf, { now: T0 + 100 });
      const started = [runStarted(), nodeCompleted('start'), fanOutStarted('fan'), taskDispatched('a'), taskDispatched('b')];
      // fanout.started is the 3rd fact (stamped T0 + 3): the timer counts from there, not from the first arrival.
      given(...started).when(nothingNew).then([{ type: 'timer.scheduled', payload: { timerId: 'joinTimeout:join:0', dueAt: iso(T0 + 5_003), purpose: 'joinTimeout' } }]);
      const waiting = [...started, timerScheduled('joinTimeout:join:0', 'joinTimeout', iso(T0 + 5_003), 'join'), taskCompleted('a')];
      given(...waiting).when(nothingNew).thenNothing();
      given(...waiting).when(timerFired('joinTimeout:join:0')).then([
        onTimeout === 'continue'
          ? { type: 'join.satisfied', payload: { nodeId: 'join', arrived: ['a'], timedOut: true } }
          : { type: 'run.failed', payload: { code: 'join.timeout', reason: 'Join join timed out with 1 of 2 inputs' } },
      ]);
    }
  });
});

describe('join quorum / any: failed branches', () => {
  it('2 of 3, one branch fails: the branch fails (not the run), and the join fires with the other two', () => {
    const wf = threeWays({ mode: 'quorum', quorum: 2 });
    specFor(wf)(...fannedOut).when(taskFailed('a', 'no answer')).then([{ type: 'node.completed', payload: { nodeId: 'a', handle: 'error', code: 'node.failed', reason: 'Agent node a failed after 1 attempt(s): no answer' } }]);
    const failedA = settle(wf, [...fannedOut, taskFailed('a', 'no answer')]).facts;
    expect(settle(wf, failedA).state).toMatchObject({ status: 'running', nodes: { a: { status: 'failed' }, join: { status: 'pending' } } });
    const { decisions, state } = settle(wf, [...failedA, taskCompleted('b'), taskCompleted('c')]);
    expect(decisions.map((d) => [d.type, d.payload])).toEqual([
      ['join.satisfied', { nodeId: 'join', arrived: ['b', 'c'], mode: 'quorum', timedOut: false }],
      ['run.completed', expect.objectContaining({ endNodeId: 'done' })],
    ]);
    expect(state.status).toBe('completed');
  });

  it('2 of 3, two branches fail: the quorum is unreachable and the run fails with join.quorum_unreachable', () => {
    const wf = threeWays({ mode: 'quorum', quorum: 2 });
    const { decisions, state } = settle(wf, [...fannedOut, taskCompleted('c'), taskFailed('a'), taskFailed('b')]);
    expect(decisions.at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'join.quorum_unreachable', nodeId: 'join', reason: 'Join Votes (join) needs 2 inputs but only 1 can still arrive (2 of 3 failed or were skipped)' } });
    expect(state).toMatchObject({ status: 'failed', error: { code: 'join.quorum_unreachable' } });
  });

  it('the failure is decided as soon as k is out of reach, without waiting for the last branch', () => {
    const wf = threeWays({ mode: 'quorum', quorum: 3 });
    const { state } = settle(wf, [...fannedOut, taskFailed('b')]);
    expect(state).toMatchObject({ status: 'failed', error: { code: 'join.quorum_unreachable' }, nodes: { a: { status: 'running' }, c: { status: 'running' } } });
  });

  it('with an error edge the join takes it instead of failing the run', () => {
    const wf = threeWays({ mode: 'quorum', quorum: 2 }, true);
    const { decisions } = settle(wf, [...fannedOut, taskFailed('a'), taskFailed('b')]);
    expect(decisions.map((d) => [d.type, d.payload])).toEqual([
      ['node.completed', { nodeId: 'a', handle: 'error', code: 'node.failed', reason: 'Agent node a failed after 1 attempt(s): boom' }],
      ['node.completed', { nodeId: 'b', handle: 'error', code: 'node.failed', reason: 'Agent node b failed after 1 attempt(s): boom' }],
      ['node.completed', { nodeId: 'join', handle: 'error', code: 'join.quorum_unreachable', reason: 'Join Votes (join) needs 2 inputs but only 1 can still arrive (2 of 3 failed or were skipped)' }],
      ['run.failed', { code: 'end.failure', nodeId: 'escalate', reason: 'Reached failure end escalate' }],
    ]);
  });

  it('any: one success is enough even after failures; all three failing fails the join (not a stuck run)', () => {
    const wf = threeWays({ mode: 'any' });
    expect(settle(wf, [...fannedOut, taskFailed('a'), taskFailed('b'), taskCompleted('c')]).state.status).toBe('completed');
    expect(settle(wf, [...fannedOut, taskFailed('a'), taskFailed('b'), taskFailed('c')]).state).toMatchObject({ status: 'failed', error: { code: 'join.quorum_unreachable', nodeId: 'join' } });
  });

  it('all: a failing branch still fails the run, by the node’s own error handling', () => {
    const wf = threeWays({ mode: 'all' });
    specFor(wf)(...fannedOut).when(taskFailed('a')).then([{ type: 'run.failed', payload: { code: 'node.failed', nodeId: 'a' } }]);
  });
});

describe('join timeout: counted from the fan-out its branches leave', () => {
  it('of nested fan-outs, the inner join counts from the inner fan-out', () => {
    const wf = workflow({
      nodes: [
        { id: 'start', kind: 'trigger' }, { id: 'outer', kind: 'fanOut' }, { id: 'inner', kind: 'fanOut' }, agent('x'), agent('y'), agent('z'),
        { id: 'j-inner', kind: 'join', config: { timeoutMs: 1_000 } }, { id: 'j-outer', kind: 'join', config: { timeoutMs: 5_000 } }, { id: 'done', kind: 'end' },
      ],
      edges: links(['start', 'outer'], ['outer', 'inner'], ['outer', 'z'], ['inner', 'x'], ['inner', 'y'], ['x', 'j-inner'], ['y', 'j-inner'], ['j-inner', 'j-outer'], ['z', 'j-outer'], ['j-outer', 'done']),
    });
    expect([wf.fanOutOfJoin.get('j-inner'), wf.fanOutOfJoin.get('j-outer')]).toEqual(['inner', 'outer']);
    const { facts } = settle(wf, [runStarted()], { now: Date.parse('2025-01-01T00:00:10.000Z') });
    const timers = facts.filter((f) => f.type === 'timer.scheduled').map((f) => f.payload);
    expect(timers).toEqual([
      expect.objectContaining({ timerId: 'joinTimeout:j-outer:0' }),
      expect.objectContaining({ timerId: 'joinTimeout:j-inner:0' }),
    ]);
  });
});
