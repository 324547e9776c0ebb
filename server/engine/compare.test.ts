import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { compareRuns, type CompareSide } from './compare';

const dir = path.join(import.meta.dirname, '__fixtures__');

/** A recorded run (server/engine/__fixtures__) as one side of a comparison. */
function load(name: string): CompareSide & { events: SpineEvent[] } {
  const events = readFileSync(path.join(dir, `${name}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpineEvent);
  const w = JSON.parse(readFileSync(path.join(dir, `${name}.workflow.json`), 'utf8')) as { document: WorkflowDocument };
  return { events, nodes: w.document.nodes, workflowName: 'Recorded' };
}
const row = (c: ReturnType<typeof compareRuns>, nodeId: string) => c.rows.find((r) => r.nodeId === nodeId)!;

describe('comparing two runs side by side', () => {
  it('a run compared with itself: its path in completion order, each decision read, and no divergence', () => {
    const legal = load('legal-case-high-risk-approved');
    const c = compareRuns(legal, legal);
    expect(c.divergence).toBeNull();
    expect(c.rows.every((r) => r.differences.length === 0 && !r.divergence)).toBe(true);
    expect(c.a.path[0]).toBe('case-opened');
    expect(c.a.path.at(-1)).toBe('released');
    // The join comes after its five branches, the summary after the join.
    const at = (id: string) => c.a.path.indexOf(id);
    for (const b of ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment']) expect(at(b)).toBeLessThan(at('all-analyses'));
    expect(at('summarizer')).toBeGreaterThan(at('all-analyses'));
    expect(row(c, 'all-analyses').a.decision).toMatchObject({ kind: 'join', timedOut: false });
    expect(row(c, 'risk')).toMatchObject({ label: 'Risk level', kind: 'router', a: { decision: { kind: 'route', routeId: 'high' } } });
    expect(row(c, 'partner-review').a.decision).toMatchObject({ kind: 'approval', decision: 'approve', actors: ['paula'] });
    expect(row(c, 'released').a).toMatchObject({ status: 'completed', decision: { kind: 'end', outcome: 'success' }, output: c.a.output });
    expect(c.a).toMatchObject({ status: 'completed', workflowName: 'Recorded', tokens: { agentCalls: 6, reused: 0 } });
    expect(c.a.durationMs).toBeGreaterThanOrEqual(0);
    expect(row(c, 'summarizer').a).toMatchObject({ attempts: 1, reused: false });
  });

  it("an agent's input is its dispatch's copy, or the run's input when the dispatch refers to it (inputFrom: 'run')", () => {
    const legal = load('legal-case-high-risk-approved');
    const runInput = (legal.events[0]!.payload as { input: unknown }).input;
    const i = legal.events.findIndex((e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'case-law');
    const { input: _copy, ...rest } = legal.events[i]!.payload as Record<string, unknown>;
    const byReference = legal.events.map((e, j) => (j === i ? { ...e, payload: { ...rest, inputFrom: 'run' } } : e));
    const c = compareRuns(legal, { ...legal, events: byReference });
    expect(row(c, 'case-law').b.input).toEqual(runInput);
    expect(row(c, 'case-law').a.input).toEqual(_copy);
  });

  it('one changed agent output: the divergence is that node, with its output diffed, and the rows before it equal', () => {
    const a = load('legal-case-high-risk-approved');
    const i = a.events.findIndex((e) => e.type === 'task.completed' && (e.payload as { nodeId: string }).nodeId === 'summarizer');
    const changed = a.events.map((e, j) => (j === i ? { ...e, payload: { ...(e.payload as object), output: { risk: 'low', summary: 'another' } } } : e));
    const c = compareRuns(a, { ...a, events: changed });
    expect(c.divergence).toEqual({ nodeId: 'summarizer', label: 'Summarize', differences: ['output'] });
    const s = row(c, 'summarizer');
    expect(s.divergence).toBe(true);
    expect(s.outputDiff).toContainEqual(expect.objectContaining({ path: 'risk', kind: 'changed', after: 'low' }));
    const before = c.rows.slice(0, c.rows.indexOf(s));
    expect(before.length).toBeGreaterThan(5);
    expect(before.every((r) => r.differences.length === 0)).toBe(true);
  });

  it('a run still waiting on a person is waiting, its approval last on its path; compared with its end, the approval is where they part', () => {
    const legal = load('legal-case-high-risk-approved');
    const asked = legal.events.findIndex((e) => e.type === 'approval.requested');
    const waiting = { ...legal, events: legal.events.slice(0, asked + 1) };
    const c = compareRuns(waiting, legal);
    expect(c.a.status).toBe('waiting');
    expect(c.a.path.at(-1)).toBe('partner-review');
    expect(row(c, 'partner-review').a).toMatchObject({ status: 'waiting', order: null, durationMs: null });
    expect(c.divergence).toMatchObject({ nodeId: 'partner-review', differences: ['status', 'decision'] });
    expect(row(c, 'released').differences).toEqual(['ran']);
  });

  it('two runs of one workflow that took different routes: diverges at the first differing output, then the route, then nodes one run never reached', () => {
    const c = compareRuns(load('translation-retried'), load('translation-rejected'));
    expect(c.divergence).toMatchObject({ nodeId: 'sentiment', label: 'Sentiment analysis', differences: ['output'] });
    expect(row(c, 'appropriate').differences).toEqual(['decision']);
    expect(row(c, 'translator')).toMatchObject({ differences: ['ran'], b: { status: 'not_reached' } });
    expect(row(c, 'rejected')).toMatchObject({ differences: ['ran'], a: { status: 'not_reached' }, b: { status: 'failed', decision: { kind: 'end', outcome: 'failure' } } });
    expect(c.a.status).toBe('completed');
    expect(c.b.status).toBe('failed');
    expect(c.inputDiff.length).toBeGreaterThan(0);
    // The retried translation took more than one attempt somewhere, and says so.
    expect(c.rows.some((r) => r.a.attempts > 1)).toBe(true);
  });
});
