/**
 * The engine's pure core, across primitives: the same history always folds to the same state, every
 * recorded history in __fixtures__ still folds to its stored snapshot, a cancelled run decides nothing
 * more, and a keyed run waits its turn. Each primitive's own specs live beside it
 * (server/engine/primitives/<name>.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { WorkflowDocument } from '@/server/workflows/schema';
import { isRunEvent, toRunEvent, type RunEvent } from '../events';
import { compileWorkflow, type CompiledWorkflow } from '../graph';
import {
  agentFailed, agentReturned, approvalDecided, approvalRequested, contextPatched, fold, keyAcquired, links, nodeCompleted, nothingNew,
  runCancelled, runQueued, runStarted, specFor, stamp, T0, taskCompleted, taskDispatched, timerScheduled, workflow,
} from '@/server/testing/given';
import { applyEvent, evolve, initialState, type RunState } from './evolve';

// ---------------------------------------------------------------------------------------------------------
// Workflows the specs run on
// ---------------------------------------------------------------------------------------------------------

const agent = (id: string, config: Record<string, unknown> = {}) => ({ id, kind: 'agent' as const, config: { agent: id, ...config } });
const end = (id: string, outcome: 'success' | 'failure' = 'success') => ({ id, kind: 'end' as const, config: { outcome } });
const trigger = { id: 'start', kind: 'trigger' as const };

const RETRY = { maxAttempts: 3, initialBackoffMs: 100, backoffMultiplier: 2, maxBackoffMs: 10_000, jitter: 0.5 };
/** start → a (3 attempts) → done */
const retrying = () => workflow({ nodes: [trigger, { ...agent('a', { retry: RETRY }), label: 'Label' }, end('done')], edges: links(['start', 'a'], ['a', 'done']) });

/** start → gate (approval) → approved: done; rejected: refused */
const gated = (config: Record<string, unknown>) =>
  workflow({ nodes: [trigger, { id: 'gate', kind: 'approval', config }, end('done'), end('refused', 'failure')], edges: links(['start', 'gate'], ['gate', 'done', 'approved'], ['gate', 'refused', 'rejected']) });

const iso = (ms: number) => new Date(ms).toISOString();

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

describe('cancellation and the entity key', () => {
  const wf = retrying();

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
