/**
 * retry in domain words: a retryable failure backs off (jittered, with the randomness passed in) and the
 * instant is decided once; exhausted retries take the node's error edge or fail the run with a reason a
 * person can read; a non-retryable failure skips what is left.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@/server/testing/random';
import { links, nodeCompleted, nothingNew, runFailed, runReopened, runStarted, settle, specFor, T0, taskDispatched, taskFailed, taskRetried, timerFired, workflow } from '@/server/testing/given';
import { backoffMs } from './retry';

const agent = (id: string, config: Record<string, unknown> = {}) => ({ id, kind: 'agent' as const, config: { agent: id, ...config } });
const end = (id: string) => ({ id, kind: 'end' as const, config: { outcome: 'success' as const } });
const trigger = { id: 'start', kind: 'trigger' as const };

const RETRY = { maxAttempts: 3, initialBackoffMs: 100, backoffMultiplier: 2, maxBackoffMs: 10_000, jitter: 0.5 };
/** start → a (3 attempts) → done; with `errorEdge`, a's error → fallback → rescued. */
const retrying = (errorEdge: boolean) =>
  workflow({
    nodes: [trigger, { ...agent('a', { retry: RETRY }), label: 'Label' }, end('done'), ...(errorEdge ? [agent('fallback'), end('rescued')] : [])],
    edges: links(['start', 'a'], ['a', 'done'], ...(errorEdge ? ([['a', 'fallback', 'error'], ['fallback', 'rescued']] as [string, string, string][]) : [])),
  });

const iso = (ms: number) => new Date(ms).toISOString();

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
