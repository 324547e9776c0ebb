/**
 * The engine's pure core in domain words: given a run's history, when something happens, then these
 * events are decided. Also: the same history always folds to the same state, and every recorded history
 * in __fixtures__ still folds to its stored snapshot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { WorkflowDocument } from '@/server/workflows/schema';
import { isRunEvent, type RunEvent } from '../events';
import { compileWorkflow, type CompiledWorkflow } from '../graph';
import { submitDecision } from '../primitives/approval';
import { backoffMs } from '../primitives/retry';
import { toRunEvent } from '../events';
import { seededRandom } from '@/server/testing/random';
import {
  agentFailed, agentReturned, approvalDecided, approvalRequested, contextPatched, fanOutStarted, fold, joinSatisfied, keyAcquired, links,
  nodeCompleted, nothingNew, routeChosen, runCancelled, runCompleted, runFailed, runQueued, runReopened, runStarted, settle, specFor, stamp, T0,
  taskCompleted, taskDispatched, taskFailed, taskRetried, taskStale, timerFired, timerScheduled, workflow, type Fact,
} from '@/server/testing/given';
import { applyEvent, evolve, initialState, type RunState } from './evolve';

// ---------------------------------------------------------------------------------------------------------
// Workflows the specs run on
// ---------------------------------------------------------------------------------------------------------

const agent = (id: string, config: Record<string, unknown> = {}) => ({ id, kind: 'agent' as const, config: { agent: id, ...config } });
const end = (id: string, outcome: 'success' | 'failure' = 'success') => ({ id, kind: 'end' as const, config: { outcome } });
const trigger = { id: 'start', kind: 'trigger' as const };

/** start → fan → a, b, c → join (mode) → after → done */
const fanJoin = (mode: 'all' | 'any' | 'quorum', quorum?: number) =>
  workflow({
    nodes: [trigger, { id: 'fan', kind: 'fanOut' }, agent('a'), agent('b'), agent('c'), { id: 'join', kind: 'join', config: { mode, ...(quorum && { quorum }) } }, agent('after'), end('done')],
    edges: links(['start', 'fan'], ['fan', 'a'], ['fan', 'b'], ['fan', 'c'], ['a', 'join'], ['b', 'join'], ['c', 'join'], ['join', 'after'], ['after', 'done']),
  });

/** start → check → risk: high → h1 → h2 → merge(any); default → d1 → d2 → merge; merge → done. */
const routed = workflow({
  nodes: [
    trigger, agent('check'),
    { id: 'risk', kind: 'router', config: { routes: [{ id: 'high', condition: 'results.check.risk == "high"' }, { id: 'vip', condition: 'has(input.vip) && input.vip == true' }] } },
    agent('h1'), agent('h2'), agent('d1'), agent('d2'), end('vip-desk'),
    { id: 'merge', kind: 'join', config: { mode: 'any' } }, end('done'),
  ],
  edges: links(['start', 'check'], ['check', 'risk'], ['risk', 'h1', 'high'], ['h1', 'h2'], ['risk', 'vip-desk', 'vip'], ['risk', 'd1', 'default'], ['d1', 'd2'], ['h2', 'merge'], ['d2', 'merge'], ['merge', 'done']),
});

const RETRY = { maxAttempts: 3, initialBackoffMs: 100, backoffMultiplier: 2, maxBackoffMs: 10_000, jitter: 0.5 };
/** start → a (3 attempts) → done; with `errorEdge`, a's error → fallback → rescued. */
const retrying = (errorEdge: boolean) =>
  workflow({
    nodes: [trigger, { ...agent('a', { retry: RETRY }), label: 'Label' }, end('done'), ...(errorEdge ? [agent('fallback'), end('rescued')] : [])],
    edges: links(['start', 'a'], ['a', 'done'], ...(errorEdge ? ([['a', 'fallback', 'error'], ['fallback', 'rescued']] as [string, string, string][]) : [])),
  });

/** start → label (on-stale policy, output to state.label) → done */
const labelling = (onStale: 'rerun' | 'accept' | 'fail') =>
  workflow({ nodes: [trigger, agent('label', { onStale, outputKey: 'label', retry: { maxAttempts: 1 } }), end('done')], edges: links(['start', 'label'], ['label', 'done']) });

/** start → gate (approval) → approved: done; rejected: refused */
const gated = (config: Record<string, unknown>) =>
  workflow({ nodes: [trigger, { id: 'gate', kind: 'approval', config }, end('done'), end('refused', 'failure')], edges: links(['start', 'gate'], ['gate', 'done', 'approved'], ['gate', 'refused', 'rejected']) });

/** The facts of a fan-out that has started its three branches. */
const fannedOut: Fact[] = [runStarted(), nodeCompleted('start'), fanOutStarted('fan', ['a', 'b', 'c']), taskDispatched('a'), taskDispatched('b'), taskDispatched('c')];

const iso = (ms: number) => new Date(ms).toISOString();
const permutations = <T>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

// ---------------------------------------------------------------------------------------------------------
// Recorded histories
// ---------------------------------------------------------------------------------------------------------

const FIXTURES = path.join(import.meta.dirname, '../__fixtures__');
type Recorded = { name: string; wf: CompiledWorkflow; events: (RunEvent & { key: string | null })[]; snapshot: RunState };

function loadRecorded(): Recorded[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.jsonl'.length);
      const meta = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.workflow.json`), 'utf8')) as { workflowId: string; slug: string; version: number; document: unknown };
      const wf = compileWorkflow({ workflowId: meta.workflowId, slug: meta.slug, version: meta.version }, WorkflowDocument.parse(meta.document));
      const lines = readFileSync(path.join(FIXTURES, f), 'utf8').split('\n').filter(Boolean);
      const events = lines.map((l) => JSON.parse(l) as SpineEvent).filter(isRunEvent).map(toRunEvent);
      const snapshot = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.snapshot.json`), 'utf8')) as RunState;
      return { name, wf, events, snapshot };
    });
}
const recorded = loadRecorded();
const json = (s: RunState) => JSON.parse(JSON.stringify(s));

describe('fold: the same history folds to the same state', () => {
  it('has recorded histories to check', () => {
    expect(recorded.map((r) => r.name)).toEqual(expect.arrayContaining(['legal-case-high-risk-approved', 'procurement-large-paid', 'shipping-label-stale-rerun', 'translation-retried']));
  });

  it.each(recorded.map((r) => [r.name, r] as const))('%s folds to its stored snapshot', (_, r) => {
    expect(json(fold(r.wf, r.events, r.snapshot.runId))).toStrictEqual(r.snapshot);
  });

  it.each(recorded.map((r) => [r.name, r] as const))('%s folds the same twice, and through evolve as through applyEvent, without touching its input', (_, r) => {
    const runId = r.snapshot.runId;
    const once = fold(r.wf, r.events, runId);
    expect(fold(r.wf, r.events, runId)).toStrictEqual(once);
    let s = initialState(runId);
    for (const e of r.events) {
      const before = structuredClone(s);
      const next = evolve(r.wf, s, e);
      expect(s).toStrictEqual(before);
      s = next;
    }
    expect(s).toStrictEqual(once);
  });

  it('a synthetic history with retries, patches, approvals and timers folds the same every time', () => {
    const wf = gated({ requiredApprovals: 2, slaMs: 60_000 });
    const events = stamp([runStarted({ deadline: iso(T0 + 10_000) }), timerScheduled('deadline:-:0', 'deadline', iso(T0 + 10_000)), nodeCompleted('start'), approvalRequested('gate', { requiredApprovals: 2 }), contextPatched({ a: 1 }), approvalDecided('gate', 'anna', 'approve', 1)]);
    const a = fold(wf, events);
    const b = initialState('run-1');
    for (const e of events) applyEvent(wf, b, e);
    expect(a).toStrictEqual(b);
    expect(a).toMatchObject({ state: { a: 1 }, envelopeVersion: 2, externalPatchVersion: 2, approvals: { 'run-1:gate': { status: 'pending', decisions: [{ actor: 'anna' }] } } });
  });
});

describe('dead paths: after a router, untaken branches are skipped all the way down', () => {
  const given = specFor(routed);
  const checked = [runStarted(), nodeCompleted('start'), taskDispatched('check'), taskCompleted('check', { risk: 'high' })];

  it('the router records its choice once, from the results', () => {
    given(...checked).when(nothingNew).then([{ type: 'route.chosen', payload: { nodeId: 'risk', routeId: 'high', target: 'h1' } }]);
  });

  it('the other branches and the ends behind them are skipped; the join waits only for the live branch', () => {
    const { state } = given(...checked, routeChosen('risk', 'high'));
    expect(state.nodes).toMatchObject({ d1: { status: 'skipped' }, d2: { status: 'skipped' }, 'vip-desk': { status: 'skipped' }, h1: { status: 'pending' }, merge: { status: 'pending' } });
    expect(state.edges).toMatchObject({ 'd2-default-merge': 'skipped', 'risk-default-d1': 'skipped', 'risk-high-h1': 'taken' });
    given(...checked, routeChosen('risk', 'high')).when(nothingNew).then([{ type: 'task.dispatched', payload: { nodeId: 'h1', attempt: 1 } }]);
    given(...checked, routeChosen('risk', 'high'), taskDispatched('h1'), taskCompleted('h1'), taskDispatched('h2'))
      .when(taskCompleted('h2'))
      .then([joinSatisfied('merge', ['h2'])]);
  });

  it('the default branch is taken when no route holds, and the run completes without ever dispatching the others', () => {
    const { decisions, state } = settle(routed, [runStarted(), nodeCompleted('start'), taskDispatched('check'), taskCompleted('check', { risk: 'low' })]);
    expect(decisions.map((d) => d.type)).toEqual(['route.chosen', 'task.dispatched']);
    expect(decisions[1]!.payload).toMatchObject({ nodeId: 'd1' });
    expect(state.nodes).toMatchObject({ h1: { status: 'skipped' }, h2: { status: 'skipped' }, 'vip-desk': { status: 'skipped' } });
  });

  it('a route to an end finishes the run there', () => {
    const { decisions } = settle(routed, [runStarted({ input: { vip: true } }), nodeCompleted('start'), taskDispatched('check'), taskCompleted('check', { risk: 'low' })]);
    expect(decisions.map((d) => [d.type, d.payload])).toEqual([
      ['route.chosen', { nodeId: 'risk', routeId: 'vip', target: 'vip-desk' }],
      ['run.completed', { output: { check: { risk: 'low' } }, endNodeId: 'vip-desk' }],
    ]);
  });

  it('a join whose every input is dead is skipped too (and so is what follows it)', () => {
    const wf = workflow({
      nodes: [trigger, { id: 'r', kind: 'router', config: { routes: [{ id: 'x', condition: 'false' }] } }, { id: 'fan', kind: 'fanOut' }, agent('a'), agent('b'), { id: 'j', kind: 'join' }, agent('after'), end('skipped-end'), end('other')],
      edges: links(['start', 'r'], ['r', 'fan', 'x'], ['r', 'other', 'default'], ['fan', 'a'], ['fan', 'b'], ['a', 'j'], ['b', 'j'], ['j', 'after'], ['after', 'skipped-end']),
    });
    const { state } = specFor(wf)(runStarted(), nodeCompleted('start'), routeChosen('r', 'default'));
    expect(Object.fromEntries(['fan', 'a', 'b', 'j', 'after', 'skipped-end'].map((id) => [id, state.nodes[id]!.status]))).toEqual({ fan: 'skipped', a: 'skipped', b: 'skipped', j: 'skipped', after: 'skipped', 'skipped-end': 'skipped' });
  });
});

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
      nodes: [trigger, { id: 'fan', kind: 'fanOut' }, agent('a'), agent('b'), agent('c'), agent('z'), { id: 'r', kind: 'router', config: { routes: [{ id: 'on', condition: 'false' }] } }, { id: 'join', kind: 'join', config: { mode: 'quorum', quorum: 3 } }, end('done'), end('z-end')],
      edges: links(['start', 'fan'], ['fan', 'a'], ['fan', 'b'], ['fan', 'r'], ['r', 'c', 'on'], ['r', 'z', 'default'], ['z', 'z-end'], ['a', 'join'], ['b', 'join'], ['c', 'join'], ['join', 'done']),
    });
    const { decisions } = settle(wf, [runStarted()]);
    expect(decisions.at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'join.quorum_unreachable', nodeId: 'join', reason: 'Join join needs 3 inputs but only 2 can still arrive (1 of 3 failed or were skipped)' } });
  });

  it('with a timeout: the timer starts with the fan-out, as the designer reads; on expiry `continue` fires with what arrived, `fail` fails', () => {
    for (const onTimeout of ['continue', 'fail'] as const) {
      const wf = workflow({
        nodes: [trigger, { id: 'fan', kind: 'fanOut' }, agent('a'), agent('b'), { id: 'join', kind: 'join', config: { mode: 'all', timeoutMs: 5_000, onTimeout } }, end('done')],
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

describe('retry: backoff decided once, exhausted retries take the error edge or fail the run readably', () => {
  const seeded = seededRandom(42);
  const r1 = seeded();

  it('a retryable failure is retried after a jittered backoff, decided with the random passed in', () => {
    const expectedWait = backoffMs(RETRY, 1, () => r1);
    expect(expectedWait).toBe(Math.round(50 + r1 * 100));
    specFor(retrying(false))(runStarted(), nodeCompleted('start'), taskDispatched('a'))
      .when(taskFailed('a', 'boom'), { now: T0 + 1_000, random: seededRandom(42) })
      .then([{ type: 'task.retried', payload: { nodeId: 'a', attempt: 1, nextAttempt: 2, dueAt: iso(T0 + 1_000 + expectedWait), timerId: 'retry:a:1' } }]);
  });

  it('the backoff is recorded once: replays with other randomness decide nothing new and keep the recorded instant', () => {
    const history = [runStarted(), nodeCompleted('start'), taskDispatched('a'), taskFailed('a'), taskRetried('a', 1, iso(T0 + 1_077))];
    const given = specFor(retrying(false));
    for (const seed of [1, 2, 3]) {
      const o = given(...history).when(nothingNew, { random: seededRandom(seed), now: T0 + 5_000 });
      o.thenNothing();
      expect(o.state.timers['retry:a:1']).toEqual({ dueAt: iso(T0 + 1_077), purpose: 'retry', nodeId: 'a', scheduledBy: expect.any(String) });
      expect(o.state.nodes.a).toMatchObject({ status: 'waiting', attempt: 1 });
    }
    given(...history).when(timerFired('retry:a:1')).then([{ type: 'task.dispatched', payload: { nodeId: 'a', attempt: 2 } }]);
  });

  it('a later attempt backs off longer, up to the cap', () => {
    expect([1, 2, 3].map((n) => backoffMs({ ...RETRY, jitter: 0 }, n, Math.random))).toEqual([100, 200, 400]);
    expect(backoffMs({ ...RETRY, jitter: 0, maxBackoffMs: 150 }, 5, Math.random)).toBe(150);
  });

  it("an agent's retry-after wins over the policy", () => {
    specFor(retrying(false))(runStarted(), nodeCompleted('start'), taskDispatched('a'))
      .when(taskFailed('a', 'busy', { retryAfterMs: 2_500 }), { now: T0 })
      .then([{ type: 'task.retried', payload: { dueAt: iso(T0 + 2_500) } }]);
  });

  const exhausted = [runStarted(), nodeCompleted('start'), taskDispatched('a'), taskFailed('a'), taskRetried('a', 1, iso(T0)), timerFired('retry:a:1'), taskDispatched('a', 2), taskFailed('a', 'boom', { attempt: 2 }), taskRetried('a', 2, iso(T0)), timerFired('retry:a:2'), taskDispatched('a', 3)];

  it('exhausted, with an error edge: the node completes by its error handle and the fallback runs', () => {
    const given = specFor(retrying(true));
    given(...exhausted).when(taskFailed('a', 'still down', { attempt: 3 })).then([{ type: 'node.completed', payload: { nodeId: 'a', handle: 'error' } }]);
    const { decisions, state } = settle(retrying(true), [...exhausted, taskFailed('a', 'still down', { attempt: 3 })]);
    expect(decisions.map((d) => d.type)).toEqual(['node.completed', 'task.dispatched']);
    expect(state.nodes).toMatchObject({ a: { status: 'failed', handle: 'error', error: 'still down' }, done: { status: 'skipped' }, fallback: { status: 'running' } });
  });

  it('exhausted, without an error edge: the run fails with a reason a person can read', () => {
    specFor(retrying(false))(...exhausted)
      .when(taskFailed('a', 'still down', { attempt: 3 }))
      .then([{ type: 'run.failed', payload: { code: 'node.failed', nodeId: 'a', reason: 'Agent node Label (a) failed after 3 attempt(s): still down' } }]);
  });

  it('a non-retryable failure skips the remaining attempts', () => {
    specFor(retrying(false))(runStarted(), nodeCompleted('start'), taskDispatched('a'))
      .when(taskFailed('a', 'bad input', { retryable: false, errorKind: 'non_retryable' }))
      .then([{ type: 'run.failed', payload: { code: 'node.failed', reason: 'Agent node Label (a) failed (not retryable): bad input' } }]);
  });

  it('a failed run reopened at the node dispatches the next attempt', () => {
    const failed = [...exhausted, taskFailed('a', 'still down', { attempt: 3 }), runFailed('node.failed', 'a')];
    const given = specFor(retrying(false));
    expect(given(...failed).state).toMatchObject({ status: 'failed', nodes: { a: { status: 'failed' } } });
    given(...failed).when(runReopened('a')).then([{ type: 'task.dispatched', payload: { nodeId: 'a', attempt: 4 } }]);
  });
});

describe('stale results follow the node’s on-stale policy', () => {
  // The label was dispatched on envelope v1; the customer then changed the address (v2).
  const history = [runStarted({ input: { address: 'Old Street 1' } }), nodeCompleted('start'), taskDispatched('label'), contextPatched({ address: 'New Avenue 2' })];

  it('rerun: the result is marked stale and the task runs again on the new envelope', () => {
    const given = specFor(labelling('rerun'));
    given(...history).when(agentReturned('label', { label: 'OLD' }, { envelopeVersion: 1 })).then([{ type: 'task.stale', payload: { nodeId: 'label', attempt: 1, basedOnVersion: 1, currentVersion: 2, policy: 'rerun' } }]);
    given(...history, taskStale('label', 'rerun')).when(nothingNew).then([{ type: 'task.dispatched', payload: { nodeId: 'label', attempt: 2 } }]);
    given(...history, taskStale('label', 'rerun'), taskDispatched('label', 2)).when(agentReturned('label', { label: 'NEW' }, { attempt: 2, envelopeVersion: 2 })).then([
      { type: 'task.completed', payload: { attempt: 2, output: { label: 'NEW' }, envelopeVersion: 2 } },
      { type: 'context.patched', payload: { patch: { label: { label: 'NEW' } }, reason: 'output', nodeId: 'label' } },
    ]);
  });

  it('rerun: the superseded attempt’s late result is ignored', () => {
    specFor(labelling('rerun'))(...history, taskStale('label', 'rerun'), taskDispatched('label', 2)).when(agentReturned('label', { label: 'OLD' }, { attempt: 1 })).thenNothing();
  });

  it('accept: the stale result is recorded as stale and accepted', () => {
    specFor(labelling('accept'))(...history).when(agentReturned('label', { label: 'OLD' })).then([
      { type: 'task.stale', payload: { policy: 'accept' } },
      { type: 'task.completed', payload: { output: { label: 'OLD' }, envelopeVersion: 1 } },
      { type: 'context.patched', payload: { patch: { label: { label: 'OLD' } } } },
    ]);
  });

  it('fail: the attempt fails as stale (not retryable), and without an error edge the run fails', () => {
    const given = specFor(labelling('fail'));
    given(...history).when(agentReturned('label', { label: 'OLD' })).then([
      { type: 'task.stale', payload: { policy: 'fail' } },
      { type: 'task.failed', payload: { errorKind: 'stale', retryable: false, error: 'result based on envelope v1, but the context changed (v2)' } },
    ]);
    given(...history, taskStale('label', 'fail'), taskFailed('label', 'stale', { retryable: false, errorKind: 'stale' }))
      .when(nothingNew)
      .then([{ type: 'run.failed', payload: { code: 'node.failed', nodeId: 'label' } }]);
  });

  it("the engine's own writes (another node's output) do not make a result stale", () => {
    specFor(labelling('fail'))(runStarted(), nodeCompleted('start'), taskDispatched('label'), contextPatched({ other: 1 }, { by: 'engine', reason: 'output', nodeId: 'x' }))
      .when(agentReturned('label', { label: 'OK' }))
      .then([{ type: 'task.completed' }, { type: 'context.patched' }]);
  });

  it('a result is stale even when the agent read the new envelope: its input was mapped from the old one', () => {
    specFor(labelling('fail'))(...history).when(agentReturned('label', { label: 'OLD' }, { envelopeVersion: 2 })).then([
      { type: 'task.stale', payload: { basedOnVersion: 1, currentVersion: 2 } },
      { type: 'task.failed', payload: { errorKind: 'stale' } },
    ]);
  });

  it('a change that committed after the dispatch was decided but before it was appended makes the result stale', () => {
    // The dispatch was decided on the state up to seq 2; the customer's patch (seq 3) landed before it was appended (seq 4).
    const raced = [runStarted({ input: { address: 'Old Street 1' } }), nodeCompleted('start'), contextPatched({ address: 'New Avenue 2' }), taskDispatched('label', 1, { address: 'Old Street 1' }, { basedOnSeq: 2, basedOnVersion: 1 })];
    specFor(labelling('rerun'))(...raced).when(agentReturned('label', { label: 'OLD' }, { envelopeVersion: 2 })).then([{ type: 'task.stale', payload: { policy: 'rerun', basedOnVersion: 1, currentVersion: 2 } }]);
  });

  it('a dispatch records what it was decided on: the last committed seq and envelope version', () => {
    specFor(labelling('rerun'))(runStarted(), contextPatched({ address: 'A' }))
      .when(nodeCompleted('start'))
      .then([{ type: 'task.dispatched', payload: { nodeId: 'label', basedOnSeq: 3, basedOnVersion: 2 } }]);
  });
});

describe('approval: four eyes, rejections and a lapsing SLA', () => {
  const fourEyes = gated({ requiredApprovals: 2, slaMs: 60_000, onLapse: 'fail' });
  const requested = [runStarted({ startedBy: 'olga' }), nodeCompleted('start'), approvalRequested('gate', { requiredApprovals: 2, dueAt: iso(T0 + 60_000) }), timerScheduled('approvalSla:gate:0', 'approvalSla', iso(T0 + 60_000), 'gate')];

  it('requests the approval with its SLA timer', () => {
    specFor(fourEyes, { now: T0 })(runStarted(), nodeCompleted('start'))
      .when(nothingNew)
      .then([
        { type: 'approval.requested', payload: { nodeId: 'gate', approvalId: 'run-1:gate', requiredApprovals: 2, dueAt: iso(T0 + 60_000) } },
        { type: 'timer.scheduled', payload: { timerId: 'approvalSla:gate:0', purpose: 'approvalSla', dueAt: iso(T0 + 60_000) } },
      ]);
  });

  it('one approval of two is not enough; the same person cannot approve twice; a second person completes it', () => {
    const given = specFor(fourEyes);
    const one = given(...requested).when(approvalDecided('gate', 'anna', 'approve', 1));
    one.thenNothing();
    expect(one.state.approvals['run-1:gate']).toMatchObject({ status: 'pending' });
    expect(() => submitDecision(one.state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'anna' })).toThrow(expect.objectContaining({ code: 'approval.already_decided_by_actor', httpStatus: 409 }));
    expect(() => submitDecision(one.state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'olga' })).toThrow(expect.objectContaining({ code: 'approval.requester', httpStatus: 403 }));
    const second = submitDecision(one.state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'ben' });
    expect(second).toMatchObject({ type: 'approval.decided', payload: { n: 2, actor: 'ben' }, idempotencyKey: 'engine:run-1:approval.decided:approval:run-1:gate:2' });
    given(...requested, approvalDecided('gate', 'anna', 'approve', 1))
      .when(approvalDecided('gate', 'ben', 'approve', 2))
      .then([{ type: 'run.completed', payload: { endNodeId: 'done' } }]);
  });

  it('one rejection decides it, by the rejected branch', () => {
    specFor(fourEyes)(...requested).when(approvalDecided('gate', 'anna', 'reject', 1)).then([{ type: 'run.failed', payload: { code: 'end.failure', nodeId: 'refused' } }]);
  });

  it('a decision after the approval closed is refused', () => {
    const { state } = specFor(fourEyes)(...requested, approvalDecided('gate', 'anna', 'reject', 1));
    expect(() => submitDecision(state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'ben' })).toThrow(expect.objectContaining({ code: 'approval.already_decided' }));
    expect(() => submitDecision(state, { approvalId: 'run-1:nope', decision: 'approve', actor: 'ben' })).toThrow(expect.objectContaining({ code: 'approval.not_found' }));
  });

  it.each([
    ['fail', [{ type: 'run.failed' as const, payload: { code: 'approval.lapsed', nodeId: 'gate', reason: 'Approval gate was not decided within its SLA' } }]],
    ['approve', [{ type: 'approval.decided' as const, payload: { decision: 'approve', actor: 'system', auto: true, n: 1 } }]],
    ['reject', [{ type: 'approval.decided' as const, payload: { decision: 'reject', actor: 'system', auto: true, n: 1 } }]],
  ])('the SLA lapses with on-lapse %s', (onLapse, expected) => {
    specFor(gated({ requiredApprovals: 2, slaMs: 60_000, onLapse }))(...requested).when(timerFired('approvalSla:gate:0')).then(expected);
  });

  it('an automatic approval on lapse counts as enough, even with two required', () => {
    const wf = gated({ requiredApprovals: 2, slaMs: 60_000, onLapse: 'approve' });
    specFor(wf)(...requested, timerFired('approvalSla:gate:0')).when(approvalDecided('gate', 'system', 'approve', 1, { auto: true })).then([{ type: 'run.completed', payload: { endNodeId: 'done' } }]);
  });

  it('an SLA timer firing after the decision does nothing', () => {
    const given = specFor(fourEyes);
    given(...requested, approvalDecided('gate', 'anna', 'approve', 1), approvalDecided('gate', 'ben', 'approve', 2), runCompleted('done')).when(timerFired('approvalSla:gate:0')).thenNothing();
  });
});

describe('deadline, cancellation and the entity key', () => {
  const wf = retrying(false);
  const deadline = iso(T0 + 30_000);

  it('a deadline is a durable timer scheduled at start; when it fires first, the run fails', () => {
    const given = specFor(wf);
    given().when(runStarted({ deadline })).then([{ type: 'timer.scheduled', payload: { timerId: 'deadline:-:0', purpose: 'deadline', dueAt: deadline, nodeId: null } }, { type: 'node.completed' }]);
    const running = [runStarted({ deadline }), timerScheduled('deadline:-:0', 'deadline', deadline), nodeCompleted('start'), taskDispatched('a')];
    given(...running).when(nothingNew).thenNothing();
    given(...running).when(timerFired('deadline:-:0')).then([{ type: 'run.failed', payload: { code: 'run.deadline_exceeded', reason: `The run's deadline ${deadline} passed before it finished` } }]);
    given(...running, taskCompleted('a'), runCompleted('done')).when(timerFired('deadline:-:0')).thenNothing();
  });

  it('a cancelled run decides nothing more, and late results are ignored', () => {
    const given = specFor(wf);
    const cancelled = [runStarted(), nodeCompleted('start'), taskDispatched('a'), runCancelled()];
    given(...cancelled).when(nothingNew).thenNothing();
    given(...cancelled).when(agentReturned('a', { late: true })).thenNothing();
    given(...cancelled).when(agentFailed('a')).thenNothing();
    expect(given(...cancelled).when(taskCompleted('a')).state).toMatchObject({ status: 'cancelled', error: { code: 'run.cancelled' } });
  });

  it('a keyed run waits its turn: queued once, then it acquires the key when first in line', () => {
    const given = specFor(wf);
    given().when(runStarted({ key: 'room:12' }), { holdsKey: false }).then([{ type: 'run.queued', payload: { key: 'room:12' } }]);
    given(runStarted({ key: 'room:12' }), runQueued('room:12')).when(nothingNew, { holdsKey: false }).thenNothing();
    given(runStarted({ key: 'room:12' }), runQueued('room:12')).when(nothingNew, { holdsKey: true }).then([{ type: 'run.key_acquired', payload: { key: 'room:12' } }]);
    given(runStarted({ key: 'room:12' }), runQueued('room:12')).when(keyAcquired('room:12')).then([{ type: 'node.completed', payload: { nodeId: 'start' } }]);
  });
});
