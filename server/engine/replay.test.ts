import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { compileWorkflow } from './graph';
import { replayRun } from './replay';

const dir = path.join(import.meta.dirname, '__fixtures__');
const scenarios = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => f.replace(/\.jsonl$/, ''));

function load(name: string) {
  const events = readFileSync(path.join(dir, `${name}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpineEvent);
  const w = JSON.parse(readFileSync(path.join(dir, `${name}.workflow.json`), 'utf8')) as { workflowId: string; slug: string; version: number; document: WorkflowDocument };
  return { events, wf: compileWorkflow(w, w.document) };
}

describe('replaying a recorded run from its log alone', () => {
  it.each(scenarios)('%s replays identically: every engine decision re-decided equal, the rest taken as given', (name) => {
    const { events, wf } = load(name);
    const v = replayRun(wf, events);
    expect(v.mismatch).toBeUndefined();
    expect(v.identical).toBe(true);
    expect(v.decisions).toBeGreaterThan(v.inputs);
    expect(v.status).toBe(events.some((e) => e.type === 'run.completed') ? 'completed' : v.status);
  });

  it('names the first event that differs when a decision in the log was not the one the workflow makes', () => {
    const { events, wf } = load('legal-case-high-risk-approved');
    const i = events.findIndex((e) => e.type === 'route.chosen');
    const tampered = events.map((e, j) => (j === i ? { ...e, payload: { ...(e.payload as object), routeId: 'default', target: 'file-summary' } } : e));
    const v = replayRun(wf, tampered);
    expect(v.identical).toBe(false);
    expect(v.mismatch).toMatchObject({ seq: events[i]!.seq, type: 'route.chosen', reason: expect.stringMatching(/payload\.(routeId|target) differs/) });
    expect(v.decisions).toBeGreaterThan(0);
  });

  it('refuses an agent result the run could not have accepted (a second completion of the same attempt)', () => {
    const { events, wf } = load('translation-retried');
    const done = events.filter((e) => e.type === 'task.completed').at(-1)!;
    const dup = { ...done, seq: events.at(-1)!.seq + 1, id: 'dup', idempotencyKey: `${done.idempotencyKey}:again` };
    const v = replayRun(wf, [...events.filter((e) => e.type !== 'run.completed'), dup]);
    expect(v.identical).toBe(false);
    expect(v.mismatch?.seq).toBe(dup.seq);
  });

  it('finds an engine event with no decision behind it (an event written into the run from outside the engine)', () => {
    const { events, wf } = load('translation-rejected');
    const start = events.findIndex((e) => e.type === 'run.started');
    const forged = { ...events[start + 1]!, seq: events[start]!.seq + 0.5, id: 'forged', type: 'route.chosen', idempotencyKey: 'engine:forged', payload: { nodeId: 'nope', routeId: 'r', target: null } } as SpineEvent;
    const v = replayRun(wf, [...events.slice(0, start + 1), forged, ...events.slice(start + 1)]);
    expect(v.mismatch).toMatchObject({ type: 'route.chosen', replayed: null });
  });
});

describe('dispatches that refer to the run input', () => {
  const { events, wf } = load('legal-case-high-risk-approved');
  const runInput = (events.find((e) => e.type === 'run.started')!.payload as { input: unknown }).input;
  const copies = events.filter((e) => e.type === 'task.dispatched' && JSON.stringify((e.payload as { input?: unknown }).input) === JSON.stringify(runInput));

  it('a log recorded with copies of the run input and one that refers to it replay alike', () => {
    expect(copies.length).toBeGreaterThan(0);
    const referring = events.map((e) => {
      if (!copies.includes(e)) return e;
      const { input: _, ...rest } = e.payload as Record<string, unknown>;
      return { ...e, payload: { ...rest, inputFrom: 'run' } };
    });
    expect(replayRun(wf, events).identical).toBe(true);
    expect(replayRun(wf, referring)).toMatchObject({ identical: true });
  });

  it('a copy that is not the run input is a mismatch', () => {
    const tampered = events.map((e) => (e === copies[0] ? { ...e, payload: { ...(e.payload as object), input: { facts: 'something else' } } } : e));
    expect(replayRun(wf, tampered).mismatch).toMatchObject({ seq: copies[0]!.seq, reason: 'payload.input differs' });
  });
});
