/**
 * join in `any` / `quorum` mode, in domain words: a failed branch counts as failed, not as a failed run,
 * while k can still be reached; once it cannot, the join fails by its error edge, or fails the run with
 * `join.quorum_unreachable`. An `all` join still lets a failure fail the run.
 */
import { describe, expect, it } from 'vitest';
import { fanOutStarted, links, nodeCompleted, runStarted, settle, specFor, taskCompleted, taskDispatched, taskFailed, workflow, type Fact } from '@/server/testing/given';

const ONCE = { maxAttempts: 1 };
const agent = (id: string) => ({ id, kind: 'agent' as const, config: { agent: id, retry: ONCE } });

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
