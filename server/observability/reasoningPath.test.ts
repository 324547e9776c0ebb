/**
 * Reasoning paths, waterfalls and envelope versions of the engine's recorded histories
 * (server/engine/__fixtures__): the same events the engine appended in the article's scenarios.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { compileWorkflow } from '@/server/engine/graph';
import { WorkflowDocument } from '@/server/workflows/schema';
import { envelopeVersions } from './envelopeVersions';
import { buildReasoningPath, withTriggerEvent } from './reasoningPath';
import { buildRunTrace } from './runTrace';
import { buildWaterfall } from './waterfall';

const dir = path.join(import.meta.dirname, '../engine/__fixtures__');

function recorded(name: string) {
  const events = readFileSync(path.join(dir, `${name}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpineEvent);
  const w = JSON.parse(readFileSync(path.join(dir, `${name}.workflow.json`), 'utf8'));
  const wf = compileWorkflow({ workflowId: w.workflowId, slug: w.slug, version: w.version }, WorkflowDocument.parse(w.document));
  const runId = events[0]!.runId!;
  const trace = buildRunTrace(runId, events, wf);
  const seqOf = (type: string, nodeId?: string, attempt?: number) =>
    events.find((e) => e.type === type && (nodeId === undefined || (e.payload as { nodeId?: string; endNodeId?: string }).nodeId === nodeId || (e.payload as { endNodeId?: string }).endNodeId === nodeId) && (attempt === undefined || (e.payload as { attempt?: number }).attempt === attempt))!.seq;
  return { events, wf, trace, runId, seqOf };
}

describe('the reasoning path of a result', () => {
  it('follows the summary back through the join, all five analyses and the fan-out to the intent', () => {
    const { trace, wf, seqOf } = recorded('legal-case-high-risk-approved');
    const path = buildReasoningPath(trace, wf, seqOf('task.completed', 'summarizer'));
    expect(path.complete).toBe(true);
    expect(path.intent).toBe('Assess the case');
    expect(path.startedBy).toBe('olga');
    expect(path.hops.map((h) => h.id)).toEqual([
      'start', 'node:case-opened', 'node:analyse', 'node:case-law', 'node:financial-impact', 'node:regulatory-risk', 'node:precedent', 'node:sentiment', 'node:all-analyses', 'node:summarizer',
    ]);
    expect(path.targetHop).toBe('node:summarizer');
    const summarizer = path.hops.find((h) => h.id === 'node:summarizer')!;
    expect(summarizer).toMatchObject({ kind: 'agent', actor: { kind: 'agent', name: 'summarizer' }, envelopeVersion: 1 });
    expect(summarizer.inputs).toMatchObject({ regulatoryRisk: { level: 'high' } });
    expect(summarizer.outputs).toMatchObject({ risk: 'high' });
    expect(summarizer.causes).toEqual([{ hop: 'node:all-analyses', relation: 'flow' }]);
    const join = path.hops.find((h) => h.id === 'node:all-analyses')!;
    expect(join.causes.map((c) => c.hop).sort()).toEqual(['node:case-law', 'node:financial-impact', 'node:precedent', 'node:regulatory-risk', 'node:sentiment']);
    expect(path.hops.find((h) => h.id === 'start')!.detail).toMatchObject({ intent: 'Assess the case', workflow: 'legal-case-analysis' });
  });

  it('includes the reviewer’s approval and the route that asked for it when tracing the run’s outcome', () => {
    const { trace, wf, seqOf } = recorded('legal-case-high-risk-approved');
    const path = buildReasoningPath(trace, wf, seqOf('run.completed'));
    const approval = path.hops.find((h) => h.kind === 'approval')!;
    expect(approval.actor.name).toBe('paula');
    expect(approval.outputs).toMatchObject({ decisions: [{ actor: 'paula', decision: 'approve' }] });
    expect(approval.causes).toEqual([{ hop: 'node:risk', relation: 'flow' }]);
    expect(path.hops.find((h) => h.id === 'node:risk')!.outputs).toEqual({ route: 'high', target: 'partner-review' });
    expect(path.complete).toBe(true);
  });

  it('shows a failed attempt, the retry timer and the attempt that succeeded as one step', () => {
    const { trace, wf, seqOf } = recorded('translation-retried');
    const path = buildReasoningPath(trace, wf, seqOf('task.completed', 'translator'));
    const sentiment = path.hops.find((h) => h.id === 'node:sentiment')!;
    expect(sentiment.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'failed'], [2, 'completed']]);
    expect(sentiment.attempts[0]!.error).toMatch(/simulated failure/);
    expect(sentiment.events.map((s) => trace.bySeq.get(s)!.type)).toEqual(['task.dispatched', 'task.failed', 'task.retried', 'timer.fired', 'task.dispatched', 'task.completed']);
    expect(path.complete).toBe(true);
  });

  it('names the outside context change that made a label stale and the re-run it caused', () => {
    const { trace, wf, seqOf } = recorded('shipping-label-stale-rerun');
    const path = buildReasoningPath(trace, wf, seqOf('task.completed', 'label-printer'));
    const printer = path.hops.find((h) => h.id === 'node:label-printer')!;
    expect(printer.attempts.map((a) => [a.attempt, a.outcome, a.envelopeVersion])).toEqual([[1, 'stale', 2], [2, 'completed', 3]]);
    const change = path.hops.find((h) => h.kind === 'context')!;
    expect(change).toMatchObject({ actor: { kind: 'user', name: 'customer' }, envelopeVersion: 3, outputs: { patch: { address: 'New Avenue 2' } } });
    expect(printer.causes).toEqual(expect.arrayContaining([{ hop: change.id, relation: 'context' }]));
    // The first attempt read the address check's output (context v2).
    expect(printer.causes).toEqual(expect.arrayContaining([{ hop: 'node:address-check', relation: 'flow' }]));
    expect(path.maxEnvelopeVersion).toBe(3);
  });

  it('shows the wait for the entity key', () => {
    const { trace, wf, seqOf } = recorded('booking-queued-behind-key');
    const path = buildReasoningPath(trace, wf, seqOf('run.completed'));
    expect(path.hops.map((h) => h.id).slice(0, 3)).toEqual(['start', 'queue', 'node:booking-event']);
    expect(path.complete).toBe(true);
  });

  it('puts the trigger event first, or reports it missing', () => {
    const { trace, wf, seqOf, events } = recorded('translation-retried');
    const path = buildReasoningPath(trace, wf, seqOf('run.completed'));
    const trigger = { ...events[0]!, seq: 3, id: 'trigger-1', type: 'text.received', runId: null, payload: { text: 'hi' } };
    const withIt = withTriggerEvent(path, trigger, { id: 'trigger-1', seq: null });
    expect(withIt.hops[0]).toMatchObject({ id: 'external:3', kind: 'trigger', label: 'text.received' });
    expect(withIt.hops[1]!.causes[0]).toEqual({ hop: 'external:3', relation: 'trigger' });
    const without = withTriggerEvent(path, null, { id: 'trigger-1', seq: null });
    expect(without.complete).toBe(false);
    expect(without.gaps.join(' ')).toMatch(/not in the log/);
  });
});

describe('a run’s causes and effects', () => {
  it('links each completion to its dispatch and each dispatch to what made it ready', () => {
    const { trace, seqOf } = recorded('legal-case-high-risk-approved');
    const dispatch = seqOf('task.dispatched', 'summarizer');
    expect(trace.causes.get(seqOf('task.completed', 'summarizer'))).toEqual([{ seq: dispatch, relation: 'attempt' }]);
    expect(trace.causes.get(dispatch)).toEqual([{ seq: seqOf('join.satisfied'), relation: 'flow' }]);
    expect(trace.effects.get(seqOf('fanout.started'))!.map((l) => l.seq)).toHaveLength(5);
  });
});

describe('the waterfall of a run', () => {
  it('draws attempts, the retry wait and instants per node', () => {
    const { trace, wf } = recorded('translation-retried');
    const w = buildWaterfall(trace, wf);
    const sentiment = w.rows.find((r) => r.nodeId === 'sentiment')!;
    expect(sentiment.spans.map((s) => [s.kind, s.outcome, s.attempt])).toEqual([
      ['work', 'failed', 1],
      ['retry-wait', 'ok', undefined],
      ['work', 'ok', 2],
    ]);
    expect(w.endMs).not.toBeNull();
    expect(w.rows.find((r) => r.nodeId === 'appropriate')!.spans[0]!.kind).toBe('instant');
  });

  it('marks a stale attempt and the wait for the re-run', () => {
    const { trace, wf } = recorded('shipping-label-stale-rerun');
    const printer = buildWaterfall(trace, wf).rows.find((r) => r.nodeId === 'label-printer')!;
    expect(printer.spans.map((s) => [s.kind, s.outcome])).toEqual([
      ['work', 'stale'],
      ['retry-wait', 'ok'],
      ['work', 'ok'],
    ]);
  });

  it('shows approval and join waits, and the entity-key queue', () => {
    const legal = recorded('legal-case-high-risk-approved');
    const w = buildWaterfall(legal.trace, legal.wf);
    expect(w.rows.find((r) => r.nodeId === 'partner-review')!.spans[0]).toMatchObject({ kind: 'approval-wait', outcome: 'ok' });
    const join = w.rows.find((r) => r.nodeId === 'all-analyses')!.spans[0]!;
    expect(join.kind).toBe('join-wait');
    expect(join.endMs! - join.startMs).toBeGreaterThanOrEqual(0);
    const booking = recorded('booking-queued-behind-key');
    expect(buildWaterfall(booking.trace, booking.wf).rows[0]).toMatchObject({ id: 'queue', spans: [{ kind: 'queue-wait', outcome: 'ok' }] });
  });
});

describe('envelope versions', () => {
  it('rebuilds every version from run.started and context patches, as the log writer stamped them', () => {
    const { events } = recorded('shipping-label-stale-rerun');
    const { versions } = envelopeVersions(events);
    expect(versions.map((v) => [v.version, v.seq])).toEqual([[1, 44], [2, 48], [3, 50]]);
    expect(versions[2]!.state).toEqual({ addressCheck: { address: 'Old Street 1', valid: true }, address: 'New Avenue 2' });
    expect(versions[2]).toMatchObject({ source: { kind: 'user', name: 'customer' }, patch: { address: 'New Avenue 2' } });
    for (const e of events) expect(e.envelopeVersion).toBe(versions.filter((v) => v.seq <= e.seq).at(-1)!.version);
  });
});
