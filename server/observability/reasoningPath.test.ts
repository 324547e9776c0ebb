/**
 * Reasoning paths, causes and effects, waterfalls and envelope versions of recorded histories: the same
 * events the engine appended in the article's scenarios. Two sets: server/observability/__fixtures__, recorded
 * by the engine that names each event's cause (`causationId`), where the path follows the recorded chain; and
 * server/engine/__fixtures__, recorded before it did, where the links are inferred from the workflow graph
 * and marked so.
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

const BEFORE_CAUSATION = path.join(import.meta.dirname, '../engine/__fixtures__');
const WITH_CAUSATION = path.join(import.meta.dirname, '__fixtures__');

function load(dir: string, name: string, edit: (e: SpineEvent) => SpineEvent = (e) => e) {
  const lines = readFileSync(path.join(dir, `${name}.jsonl`), 'utf8').trim().split('\n').map((l) => edit(JSON.parse(l) as SpineEvent));
  const w = JSON.parse(readFileSync(path.join(dir, `${name}.workflow.json`), 'utf8'));
  const wf = compileWorkflow({ workflowId: w.workflowId, slug: w.slug, version: w.version }, WorkflowDocument.parse(w.document));
  // A history may open with the event outside the run that triggered it.
  const events = lines.filter((e) => e.runId !== null);
  const trigger = lines.find((e) => e.runId === null) ?? null;
  const runId = events[0]!.runId!;
  const trace = buildRunTrace(runId, events, wf);
  const find = (type: string, nodeId?: string, attempt?: number) =>
    events.find((e) => e.type === type && (nodeId === undefined || (e.payload as { nodeId?: string; endNodeId?: string }).nodeId === nodeId || (e.payload as { endNodeId?: string }).endNodeId === nodeId) && (attempt === undefined || (e.payload as { attempt?: number }).attempt === attempt))!;
  const seqOf = (type: string, nodeId?: string, attempt?: number) => find(type, nodeId, attempt).seq;
  /** "type node" of an event, for readable chains. */
  const name_ = (seq: number) => {
    const e = trace.bySeq.get(seq)!;
    const p = e.payload as { nodeId?: string; endNodeId?: string; timerId?: string };
    return [e.type, p.nodeId ?? p.endNodeId ?? p.timerId].filter(Boolean).join(' ');
  };
  return { events, trigger, wf, trace, runId, find, seqOf, name: name_ };
}

/** A history recorded before the engine named causes (no causationId on engine events). */
const recorded = (name: string) => load(BEFORE_CAUSATION, name);
/** A history recorded by the engine that names each event's cause. */
const withCauses = (name: string, edit?: (e: SpineEvent) => SpineEvent) => load(WITH_CAUSATION, name, edit);

/** The chain of causationIds from an event back to the first event that names none (or names one outside). */
function causationChain(events: SpineEvent[], seq: number): SpineEvent[] {
  const byId = new Map(events.map((e) => [e.id, e]));
  const chain = [events.find((e) => e.seq === seq)!];
  for (let c = byId.get(chain[0]!.causationId ?? ''); c; c = byId.get(c.causationId ?? '')) chain.push(c);
  return chain;
}

describe('the reasoning path follows the recorded causes', () => {
  it('walks the summary back through its dispatch, the join, the last analysis, the fan-out and the start to case.opened', () => {
    const { trace, wf, trigger, seqOf, name, events } = withCauses('legal-case-from-event');
    const summary = seqOf('task.completed', 'summarizer');
    // What the log records, event by event.
    const chain = causationChain(events, summary);
    expect(chain.map((e) => name(e.seq))).toEqual([
      'task.completed summarizer', 'task.dispatched summarizer', 'join.satisfied all-analyses', 'task.completed sentiment', 'task.dispatched sentiment',
      'fanout.started analyse', 'node.completed case-opened', 'run.key_acquired', 'run.started',
    ]);
    expect(chain.at(-1)!.causationId).toBe(trigger!.id);
    expect(trigger!.type).toBe('case.opened');
    // The trace reads exactly that chain: each event's first cause is the one it names, not inferred.
    for (const [i, e] of chain.slice(0, -1).entries()) expect(trace.causes.get(e.seq)![0]).toEqual({ seq: chain[i + 1]!.seq, relation: expect.any(String), inferred: false });
    expect(trace.external).toEqual({ id: trigger!.id, seq: trigger!.seq });

    const p = withTriggerEvent(buildReasoningPath(trace, wf, summary), trigger, trace.external);
    expect(p.complete).toBe(true);
    expect(p.links.inferred).toBe(0);
    for (const e of chain) expect(p.hops.some((h) => h.events.includes(e.seq))).toBe(true);
    expect(p.hops.map((h) => h.id)).toEqual([
      `external:${trigger!.seq}`, 'start', 'queue', 'node:case-opened', 'node:analyse', 'node:case-law', 'node:financial-impact', 'node:regulatory-risk', 'node:precedent', 'node:sentiment',
      'node:all-analyses', 'node:summarizer',
    ]);
    expect(p.hops[0]).toMatchObject({ kind: 'trigger', label: 'case.opened', actor: { kind: 'agent', name: 'intake' } });
    const hop = (id: string) => p.hops.find((h) => h.id === id)!;
    expect(hop('start').causes).toEqual([{ hop: `external:${trigger!.seq}`, relation: 'trigger', inferred: false }]);
    expect(hop('node:summarizer').causes).toEqual([{ hop: 'node:all-analyses', relation: 'flow', inferred: false }]);
    expect(hop('node:summarizer').outputs).toMatchObject({ risk: 'high' });
    // The join records every input it waited for, so all five analyses are on the path, not only the last.
    expect(hop('node:all-analyses').causes.map((c) => [c.hop, c.inferred])).toEqual(
      ['node:sentiment', 'node:case-law', 'node:financial-impact', 'node:regulatory-risk', 'node:precedent'].map((h) => [h, false]),
    );
  });

  it('takes the reviewer’s decision back to the request it answers and the route that asked for it', () => {
    const { trace, wf, seqOf, name, events } = withCauses('legal-case-from-event');
    const done = seqOf('run.completed');
    expect(causationChain(events, done).map((e) => name(e.seq)).slice(0, 6)).toEqual([
      'run.completed released', 'approval.decided partner-review', 'approval.requested partner-review', 'route.chosen risk', 'task.completed summarizer', 'task.dispatched summarizer',
    ]);
    expect(trace.causes.get(seqOf('approval.decided'))).toEqual([{ seq: seqOf('approval.requested'), relation: 'decision', inferred: false }]);
    const p = buildReasoningPath(trace, wf, done);
    expect(p.links.inferred).toBe(0);
    const approval = p.hops.find((h) => h.kind === 'approval')!;
    expect(approval).toMatchObject({ actor: { name: 'paula' }, causes: [{ hop: 'node:risk', relation: 'flow', inferred: false }] });
    expect(p.hops.find((h) => h.kind === 'end')!.causes).toEqual([{ hop: approval.id, relation: 'flow', inferred: false }]);
  });

  it('links a retried attempt to the timer that fired, the retry to the failure, and the timer to the retry', () => {
    const { trace, wf, seqOf, find } = withCauses('translation-retried');
    const fired = find('timer.fired');
    expect(trace.causes.get(seqOf('task.dispatched', 'sentiment', 2))).toEqual([{ seq: fired.seq, relation: 'retry', inferred: false }]);
    expect(trace.causes.get(seqOf('task.retried', 'sentiment'))).toEqual([{ seq: seqOf('task.failed', 'sentiment'), relation: 'failure', inferred: false }]);
    // A timer.fired the engine appended without a cause is linked by inference, and says so.
    expect(trace.causes.get(fired.seq)).toEqual([{ seq: seqOf('task.retried', 'sentiment'), relation: 'timer', inferred: !fired.causationId }]);
    const p = buildReasoningPath(trace, wf, seqOf('task.completed', 'translator'));
    expect(p.complete).toBe(true);
    const sentiment = p.hops.find((h) => h.id === 'node:sentiment')!;
    expect(sentiment.events.map((s) => trace.bySeq.get(s)!.type)).toEqual(['task.dispatched', 'task.failed', 'task.retried', 'timer.fired', 'task.dispatched', 'task.completed']);
    expect(sentiment.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'failed'], [2, 'completed']]);
  });

  it('names the outside change that made a label stale, and the re-run the staleness caused', () => {
    const { trace, wf, seqOf, find } = withCauses('shipping-label-stale-rerun');
    const change = find('context.patched', undefined);
    const outside = trace.events.find((e) => e.type === 'context.patched' && e.source.kind === 'user')!;
    expect(change.seq).toBeLessThan(outside.seq);
    expect(trace.causes.get(seqOf('task.stale', 'label-printer'))).toEqual([
      { seq: seqOf('task.dispatched', 'label-printer', 1), relation: 'attempt', inferred: false },
      { seq: outside.seq, relation: 'context', inferred: false },
    ]);
    expect(trace.causes.get(seqOf('task.dispatched', 'label-printer', 2))).toEqual([
      { seq: seqOf('task.stale', 'label-printer'), relation: 'retry', inferred: false },
      { seq: outside.seq, relation: 'context', inferred: false },
    ]);
    const p = buildReasoningPath(trace, wf, seqOf('task.completed', 'label-printer', 2));
    expect(p).toMatchObject({ complete: true, links: { inferred: 0 }, maxEnvelopeVersion: 3 });
    const printer = p.hops.find((h) => h.id === 'node:label-printer')!;
    expect(printer.causes).toEqual(expect.arrayContaining([{ hop: `context:${outside.seq}`, relation: 'context', inferred: false }, { hop: 'node:address-check', relation: 'flow', inferred: false }]));
  });

  it('infers only the links of events that carry no cause, in a history that mixes both', () => {
    const legal = withCauses('legal-case-from-event');
    const join = legal.find('join.satisfied');
    const dispatch = legal.find('task.dispatched', 'summarizer');
    // The same history with the join's and the summary dispatch's causes left out, as an older engine wrote them.
    const mixed = withCauses('legal-case-from-event', (e) => (e.id === join.id || e.id === dispatch.id ? { ...e, causationId: null } : e));
    expect(mixed.trace.causes.get(dispatch.seq)).toEqual([{ seq: join.seq, relation: 'flow', inferred: true }]);
    // The join still reads its inputs from its own payload; the rest of the chain stays recorded.
    expect(mixed.trace.causes.get(join.seq)!.every((l) => !l.inferred)).toBe(true);
    expect(mixed.trace.causes.get(mixed.seqOf('task.completed', 'summarizer'))).toEqual([{ seq: dispatch.seq, relation: 'attempt', inferred: false }]);
    const p = buildReasoningPath(mixed.trace, mixed.wf, mixed.seqOf('task.completed', 'summarizer'));
    expect(p.links).toEqual({ recorded: expect.any(Number), inferred: 1 });
    expect(p.hops.find((h) => h.id === 'node:summarizer')!.causes).toEqual([{ hop: 'node:all-analyses', relation: 'flow', inferred: true }]);
    expect(p.hops.map((h) => h.id)).toEqual(buildReasoningPath(legal.trace, legal.wf, legal.seqOf('task.completed', 'summarizer')).hops.map((h) => h.id));
  });

  it('infers, for a history stripped of its causes, the cause each event records', () => {
    const differ: string[] = [];
    for (const name of ['legal-case-from-event', 'translation-retried', 'shipping-label-stale-rerun']) {
      const { trace, events } = withCauses(name);
      const stripped = withCauses(name, (e) => (e.runId === null || e.type === 'run.started' ? e : { ...e, causationId: null }));
      for (const e of events) {
        const cause = trace.causes.get(e.seq)!.find((l) => !l.inferred && events.some((x) => x.id === e.causationId && x.seq === l.seq));
        if (cause && !stripped.trace.causes.get(e.seq)!.some((l) => l.seq === cause.seq)) differ.push(`${name}: ${e.type} ← ${trace.bySeq.get(cause.seq)!.type}`);
      }
    }
    // The one known difference: the engine schedules an approval's SLA timer in the step that requests it, so it
    // names what reached the gate; inference ties the timer to the request it times.
    expect(differ).toEqual(['legal-case-from-event: timer.scheduled ← route.chosen']);
  });

  it('lists effects in seq order: the five dispatches of the fan-out, the result of a dispatch', () => {
    const { trace, seqOf, name } = withCauses('legal-case-from-event');
    const fan = trace.effects.get(seqOf('fanout.started'))!;
    expect(fan.map((l) => name(l.seq))).toEqual(['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'].map((n) => `task.dispatched ${n}`));
    expect(fan.every((l) => l.relation === 'flow' && !l.inferred)).toBe(true);
    const completed = trace.effects.get(seqOf('task.completed', 'summarizer'))!;
    expect(completed.map((l) => name(l.seq))).toEqual(['context.patched summarizer', 'route.chosen risk']);
    expect(completed.map((l) => l.seq)).toEqual([...completed.map((l) => l.seq)].sort((a, b) => a - b));
  });
});

describe('a history recorded without causes: links inferred from the workflow, and marked so', () => {
  it('still reaches the intent, every link between hops but the join’s inputs inferred', () => {
    const { trace, wf, seqOf } = recorded('legal-case-high-risk-approved');
    expect(trace.events.filter((e) => e.causationId).length).toBe(0);
    const p = buildReasoningPath(trace, wf, seqOf('task.completed', 'summarizer'));
    expect(p.complete).toBe(true);
    expect(p.links.inferred).toBeGreaterThan(0);
    for (const h of p.hops) for (const c of h.causes) expect({ hop: h.id, cause: c.hop, inferred: c.inferred }).toEqual({ hop: h.id, cause: c.hop, inferred: h.kind !== 'join' });
    expect(p.hops.find((h) => h.id === 'node:summarizer')!.causes).toEqual([{ hop: 'node:all-analyses', relation: 'flow', inferred: true }]);
  });
});

describe('the reasoning path of a result (inferred, older histories)', () => {
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
    expect(summarizer.causes).toEqual([{ hop: 'node:all-analyses', relation: 'flow', inferred: true }]);
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
    expect(approval.causes).toEqual([{ hop: 'node:risk', relation: 'flow', inferred: true }]);
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
    expect(printer.causes).toEqual(expect.arrayContaining([{ hop: change.id, relation: 'context', inferred: false }]));
    // The first attempt read the address check's output (context v2): the log stamped the version it read.
    expect(printer.causes).toEqual(expect.arrayContaining([{ hop: 'node:address-check', relation: 'context', inferred: false }]));
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
    expect(withIt.hops[1]!.causes[0]).toEqual({ hop: 'external:3', relation: 'trigger', inferred: false });
    const without = withTriggerEvent(path, null, { id: 'trigger-1', seq: null });
    expect(without.complete).toBe(false);
    expect(without.gaps.join(' ')).toMatch(/not in the log/);
  });
});

describe('a run’s causes and effects (inferred, older histories)', () => {
  it('links each completion to its dispatch and each dispatch to what made it ready', () => {
    const { trace, seqOf } = recorded('legal-case-high-risk-approved');
    const dispatch = seqOf('task.dispatched', 'summarizer');
    expect(trace.causes.get(seqOf('task.completed', 'summarizer'))).toEqual([{ seq: dispatch, relation: 'attempt', inferred: true }]);
    expect(trace.causes.get(dispatch)).toEqual([{ seq: seqOf('join.satisfied'), relation: 'flow', inferred: true }]);
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
