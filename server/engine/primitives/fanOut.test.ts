/**
 * Map fan-out in domain words: a list known only at run time runs the branch once per item, at most
 * `concurrency` at a time; the join waits for the items and keeps their order; a failing item follows its
 * node's error handling (join `all`) or counts as a failed branch (join `quorum`).
 */
import { describe, expect, it } from 'vitest';
import type { Json } from '@/server/spine';
import { seededRandom } from '@/server/testing/random';
import { fold, links, nodeCompleted, nothingNew, RUN_ID, runStarted, specFor, stamp, T0, workflow, type Fact } from '@/server/testing/given';
import type { Decision, RunEvent } from '../events';
import type { CompiledWorkflow } from '../graph';
import { decide } from '../run/decide';
import { applyEvent, initialState, type RunState } from '../run/evolve';
import { ENGINE_SOURCE } from '@/server/spine/events';
import { acceptResult } from './handoff';

const trigger = { id: 'start', kind: 'trigger' as const };
const FAST = { maxAttempts: 3, initialBackoffMs: 10, backoffMultiplier: 1, maxBackoffMs: 10, jitter: 0 };

/** start → each (map over input.docs) → extract [→ check] → collect (join) → done */
const mapping = (o: { concurrency?: number; join?: Record<string, unknown>; twoSteps?: boolean; errorEdge?: boolean } = {}) =>
  workflow({
    nodes: [
      trigger,
      { id: 'each', kind: 'fanOut', config: { mode: 'map', items: 'input.docs', concurrency: o.concurrency ?? 4 } },
      { id: 'extract', kind: 'agent', config: { agent: 'extractor', input: { doc: 'item', position: 'index', customer: 'input.customer' }, retry: FAST } },
      ...(o.twoSteps ? [{ id: 'check', kind: 'agent' as const, config: { agent: 'checker', input: { extracted: 'results.extract', doc: 'item' } } }] : []),
      ...(o.errorEdge ? [{ id: 'fallback', kind: 'agent' as const, config: { agent: 'fallback', input: { doc: 'item' } } }] : []),
      { id: 'collect', kind: 'join', config: o.join ?? { mode: 'all' } },
      { id: 'done', kind: 'end', config: { output: { all: 'results.collect' } } },
    ],
    edges: links(
      ['start', 'each'],
      ['each', 'extract'],
      ...(o.twoSteps ? ([['extract', 'check'], ['check', 'collect']] as [string, string][]) : ([['extract', 'collect']] as [string, string][])),
      ...(o.errorEdge ? ([['extract', 'fallback', 'error'], ['fallback', 'collect']] as [string, string, string][]) : []),
      ['collect', 'done'],
    ),
  });

type Call = { nodeId: string; attempt: number; input: Json };
type Answer = { ok: true; output: Json } | { ok: false; error: string; retryable?: boolean };

/**
 * Drives a run as the engine's planner (plan.ts) does, without I/O: decide until nothing follows, then hand back one
 * in-flight agent call (chosen by `random`) answered by `agent`; when none is in flight, fire the earliest
 * timer. Records the most calls ever in flight.
 */
function drive(wf: CompiledWorkflow, input: Json, agent: (c: Call) => Answer, o: { random?: () => number } = {}) {
  const random = o.random ?? seededRandom(7);
  const state: RunState = initialState(RUN_ID);
  const log: (RunEvent & { key: null })[] = [];
  const seen = new Set<string>();
  const inflight: Call[] = [];
  let maxInFlight = 0;
  let seq = 0;
  const apply = (type: string, payload: Json, source: { kind: string; name: string } = ENGINE_SOURCE) => {
    seq++;
    const e = { type, payload, seq, id: `ev-${seq}`, time: new Date(T0 + seq).toISOString(), envelopeVersion: 1, source, key: null } as RunEvent & { key: null };
    applyEvent(wf, state, e);
    log.push(e);
    if (type === 'task.dispatched') {
      const p = payload as { nodeId: string; attempt: number; input: Json };
      inflight.push({ nodeId: p.nodeId, attempt: p.attempt, input: p.input });
      maxInFlight = Math.max(maxInFlight, inflight.length);
    }
  };
  const take = (ds: Decision[]) => {
    for (const d of ds) {
      if (seen.has(d.idempotencyKey)) continue;
      seen.add(d.idempotencyKey);
      apply(d.type, d.payload);
    }
  };
  const ctx = () => ({ wf, state, now: T0 + seq, random: () => 0.5, holdsKey: true });
  const settle = () => {
    for (let round = 0; round < 10_000; round++) {
      const next = decide(ctx()).filter((d) => !seen.has(d.idempotencyKey));
      if (next.length === 0) return;
      take(next);
    }
    throw new Error('no fixed point');
  };
  const started = runStarted({ input });
  apply(started.type, started.payload as Json, started.source);
  settle();
  for (let steps = 0; state.status === 'running' && steps < 100_000; steps++) {
    if (inflight.length > 0) {
      const call = inflight.splice(Math.floor(random() * inflight.length), 1)[0]!;
      const a = agent(call);
      const node = wf.nodes.get(call.nodeId);
      if (node?.kind !== 'agent') throw new Error(`${call.nodeId} is not an agent`);
      take(acceptResult(ctx(), node, a.ok
        ? { ok: true, nodeId: call.nodeId, attempt: call.attempt, output: a.output, envelopeVersion: 1, durationMs: 1 }
        : { ok: false, nodeId: call.nodeId, attempt: call.attempt, error: a.error, errorKind: 'error', retryable: a.retryable ?? true, durationMs: 1 }));
    } else {
      const timer = Object.entries(state.timers).sort(([, x], [, y]) => x.dueAt.localeCompare(y.dueAt))[0];
      if (!timer) break;
      apply('timer.fired', { timerId: timer[0] });
    }
    settle();
  }
  return { state, log, maxInFlight, calls: log.filter((e) => e.type === 'task.dispatched').map((e) => e.payload as { nodeId: string; attempt: number; input: Json; idempotencyKey: string; item?: unknown }) };
}

const extractor = (c: Call): Answer => ({ ok: true, output: { words: String((c.input as { doc: string }).doc).length, at: (c.input as { position: number }).position } });
const docs = (n: number) => Array.from({ length: n }, (_, i) => `doc-${i}`);

describe('map fan-out: one branch per item of a list known only at run time', () => {
  it('0 items: the join fires at once with an empty list, and the run completes', () => {
    const { state, log, calls } = drive(mapping(), { docs: [], customer: 'ada' }, extractor);
    expect(calls).toEqual([]);
    expect(log.map((e) => e.type)).toEqual(['run.started', 'node.completed', 'fanout.started', 'join.satisfied', 'run.completed']);
    expect(log.find((e) => e.type === 'fanout.started')!.payload).toMatchObject({ nodeId: 'each', items: [], concurrency: 4 });
    expect(state).toMatchObject({ status: 'completed', output: { all: [] }, results: { collect: [] } });
  });

  it('1 item: the item starts and its agent is dispatched in the same decision, keyed by node id and item index', () => {
    specFor(mapping())(runStarted({ input: { docs: ['only'], customer: 'ada' } }), nodeCompleted('start'))
      .when(nothingNew)
      .then([{ type: 'fanout.started', payload: { nodeId: 'each', items: ['only'], concurrency: 4 } }]);
    const started: Fact = { type: 'fanout.started', payload: { nodeId: 'each', branches: ['extract'], items: ['only'], concurrency: 4 } };
    const o = specFor(mapping())(runStarted({ input: { docs: ['only'], customer: 'ada' } }), nodeCompleted('start'), started).when(nothingNew);
    o.then([
      { type: 'fanout.item_started', payload: { nodeId: 'each', index: 0 } },
      {
        type: 'task.dispatched',
        payload: { nodeId: 'extract#0', attempt: 1, agent: 'extractor', input: { doc: 'only', position: 0, customer: 'ada' }, idempotencyKey: `${RUN_ID}:extract#0:1`, item: { nodeId: 'extract', index: 0, fanOutId: 'each' } },
      },
    ]);
    const { state } = drive(mapping(), { docs: ['only'], customer: 'ada' }, extractor);
    expect(state).toMatchObject({ status: 'completed', output: { all: [{ words: 4, at: 0 }] } });
    expect(state.nodes).toMatchObject({ each: { status: 'done' }, extract: { status: 'done' }, 'extract#0': { status: 'done', output: { words: 4, at: 0 } }, collect: { status: 'done' } });
  });

  it('500 items, 10 at a time: never more than 10 in flight, the next starts when one ends, results in item order', () => {
    const { state, log, maxInFlight, calls } = drive(mapping({ concurrency: 10 }), { docs: docs(500), customer: 'ada' }, extractor, { random: seededRandom(42) });
    expect(state.status).toBe('completed');
    expect(maxInFlight).toBe(10);
    expect(calls).toHaveLength(500);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(500);
    // Completions came back shuffled; the join's output is still in item order.
    const completedOrder = log.filter((e) => e.type === 'task.completed').map((e) => (e.payload as { nodeId: string }).nodeId);
    expect(completedOrder).not.toEqual(completedOrder.slice().sort((a, b) => Number(a.split('#')[1]) - Number(b.split('#')[1])));
    expect(state.results.collect).toEqual(docs(500).map((d, i) => ({ words: d.length, at: i })));
    expect(log.filter((e) => e.type === 'join.satisfied')).toHaveLength(1);
    // Items start in list order, and one starts only when fewer than 10 are in flight.
    const starts = log.filter((e) => e.type === 'fanout.item_started').map((e) => (e.payload as { index: number }).index);
    expect(starts).toEqual(docs(500).map((_, i) => i));
    let running = 0;
    for (const e of log) {
      if (e.type === 'fanout.item_started') running++;
      if (e.type === 'task.completed') running--;
      expect(running).toBeLessThanOrEqual(10);
    }
    // Deterministic: the recorded history folds to the same state.
    expect(fold(mapping({ concurrency: 10 }), log)).toStrictEqual(state);
  });

  it("each item's branch reads its own item and its own earlier results", () => {
    const { state, calls } = drive(mapping({ twoSteps: true, concurrency: 2 }), { docs: docs(5), customer: 'ada' }, (c) =>
      c.nodeId.startsWith('extract') ? extractor(c) : { ok: true, output: { checked: c.input } },
    );
    expect(calls.filter((c) => c.nodeId.startsWith('check')).map((c) => c.input)).toEqual(expect.arrayContaining(docs(5).map((d, i) => ({ extracted: { words: d.length, at: i }, doc: d }))));
    expect(state.results.collect).toEqual(docs(5).map((d, i) => ({ checked: { extracted: { words: d.length, at: i }, doc: d } })));
    // Per-item results stay inside the item: nothing named extract#n lands in the run's results.
    expect(Object.keys(state.results)).toEqual(['collect']);
  });

  it('the list is evaluated once and recorded: a later change of the input does not change the items', () => {
    const wf = mapping();
    const started: Fact = { type: 'fanout.started', payload: { nodeId: 'each', branches: ['extract'], items: ['a', 'b'], concurrency: 4 } };
    const { state } = specFor(wf)(runStarted({ input: { docs: ['x', 'y', 'z'] } }), nodeCompleted('start'), started);
    expect(state.maps?.each).toMatchObject({ items: ['a', 'b'], started: 0, running: 0 });
  });

  it('an items expression that is not a list fails the run readably', () => {
    specFor(mapping())(runStarted({ input: { docs: 'not a list' } }), nodeCompleted('start'))
      .when(nothingNew)
      .then([{ type: 'run.failed', payload: { code: 'fanOut.items_not_list', nodeId: 'each', reason: 'Fan-out each: its items expression gave string, not a list' } }]);
  });
});

describe('map fan-out: a failing item', () => {
  const failing = (bad: number, times = Infinity) => {
    const tries = new Map<string, number>();
    return (c: Call): Answer => {
      const n = (tries.get(c.nodeId) ?? 0) + 1;
      tries.set(c.nodeId, n);
      return c.nodeId === `extract#${bad}` && n <= times ? { ok: false, error: 'cannot read the scan' } : c.nodeId.startsWith('fallback') ? { ok: true, output: 'by hand' } : extractor(c);
    };
  };

  it('retries apply per item: an item that fails twice and then works completes the map', () => {
    const { state, log } = drive(mapping({ concurrency: 3 }), { docs: docs(6), customer: 'ada' }, failing(4, 2));
    expect(log.filter((e) => e.type === 'task.retried').map((e) => e.payload)).toMatchObject([{ nodeId: 'extract#4', attempt: 1, nextAttempt: 2 }, { nodeId: 'extract#4', attempt: 2, nextAttempt: 3 }]);
    expect(state.status).toBe('completed');
    expect(state.results.collect).toHaveLength(6);
  });

  it('join all: an item that exhausts its retries fails the run, naming the item', () => {
    const { state, log } = drive(mapping({ concurrency: 3 }), { docs: docs(6), customer: 'ada' }, failing(4));
    expect(log.filter((e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'extract#4')).toHaveLength(3);
    expect(state).toMatchObject({ status: 'failed', error: { code: 'node.failed', nodeId: 'extract#4', reason: 'Agent node extract#4 failed after 3 attempt(s): cannot read the scan' } });
  });

  it("join all: with an error edge the item follows it, and its result is the fallback's", () => {
    const { state } = drive(mapping({ concurrency: 3, errorEdge: true }), { docs: docs(6), customer: 'ada' }, failing(4));
    expect(state.status).toBe('completed');
    expect(state.results.collect).toEqual(docs(6).map((d, i) => (i === 4 ? 'by hand' : { words: d.length, at: i })));
  });

  it('quorum: a failed item counts as a failed branch, not a failed run; 5 of 6 still arrive, the failed one is null in the output', () => {
    // One at a time: item 0 fails all its attempts before item 1 starts.
    const { state, log } = drive(mapping({ concurrency: 1, join: { mode: 'quorum', quorum: 5 } }), { docs: docs(6), customer: 'ada' }, failing(0));
    expect(log.filter((e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'extract#0')).toHaveLength(3);
    expect(log.find((e) => e.type === 'node.completed' && (e.payload as { nodeId: string }).nodeId === 'extract#0')?.payload).toMatchObject({ handle: 'error', code: 'node.failed' });
    expect(state.status).toBe('completed');
    expect(state.maps?.each?.status).toEqual(['failed', 'done', 'done', 'done', 'done', 'done']);
    expect(log.find((e) => e.type === 'join.satisfied')!.payload).toMatchObject({ items: [1, 2, 3, 4, 5] });
    expect(state.results.collect).toEqual(docs(6).map((d, i) => (i === 0 ? null : { words: d.length, at: i })));
  });

  it('quorum: when too many items fail, the join fails with join.quorum_unreachable', () => {
    const { state } = drive(mapping({ concurrency: 2, join: { mode: 'quorum', quorum: 6 } }), { docs: docs(6), customer: 'ada' }, failing(1));
    expect(state).toMatchObject({ status: 'failed', error: { code: 'join.quorum_unreachable', nodeId: 'collect', reason: 'Join collect needs 6 items but only 5 can still arrive (1 of 6 failed or were skipped)' } });
  });
});

describe('map fan-out: join timeout counts from the fan-out', () => {
  it('the timer is scheduled when the fan-out starts, before any item arrives', () => {
    const wf = mapping({ join: { mode: 'all', timeoutMs: 60_000, onTimeout: 'continue' } });
    const started: Fact = { type: 'fanout.started', payload: { nodeId: 'each', branches: ['extract'], items: ['a'], concurrency: 1 }, at: T0 + 500 };
    const o = specFor(wf)(runStarted({ input: { docs: ['a'] } }), nodeCompleted('start'), started).when(nothingNew);
    expect(o.decisions.find((d) => d.type === 'timer.scheduled')?.payload).toEqual({ timerId: 'joinTimeout:collect:0', nodeId: 'collect', dueAt: new Date(T0 + 60_500).toISOString(), purpose: 'joinTimeout' });
    expect(stamp([started])[0]!.time).toBe(new Date(T0 + 500).toISOString());
  });
});
