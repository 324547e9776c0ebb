/**
 * What an evaluation row says about an origin and its fork, from their logs alone: the same outcome when
 * status and output agree; the nodes whose output changed; a contract break (the fork's task failed on
 * its output schema); tokens over every task; latency of the nodes the fork ran again only.
 */
import { describe, expect, it } from 'vitest';
import type { Json, SpineEvent } from '@/server/spine';
import { compareRuns, summarize, type EvaluationRow } from './results';

let seq = 0;
const ev = (type: string, payload: Record<string, unknown>): SpineEvent =>
  ({ seq: ++seq, id: `e${seq}`, type, key: null, runId: 'r', causationId: null, source: { kind: 'engine', name: 'engine' }, time: '2026-12-04T00:00:00.000Z', envelopeVersion: 1, payload: payload as Json, idempotencyKey: null, prevHash: '', hash: '' }) as SpineEvent;
const done = (nodeId: string, output: unknown, extra: Record<string, unknown> = {}) => ev('task.completed', { nodeId, attempt: 1, output, durationMs: 10, ...extra });

describe('compareRuns', () => {
  const origin = [ev('run.started', {}), done('intake', { id: 1 }, { inputTokens: 5, outputTokens: 5, model: 'm' }), done('summarize', { s: 'a' }, { durationMs: 40, inputTokens: 10, outputTokens: 20, model: 'm' }), ev('run.completed', { output: { s: 'a' } })];

  it('the same outcome, nothing changed, latency of the re-run node only', () => {
    const fork = [ev('run.started', {}), done('intake', { id: 1 }, { reused: true, durationMs: 0, inputTokens: 5, outputTokens: 5, model: 'm' }), done('summarize', { s: 'a' }, { durationMs: 25, inputTokens: 8, outputTokens: 20, model: 'm' }), ev('run.completed', { output: { s: 'a' } })];
    expect(compareRuns(origin, fork)).toEqual({ originStatus: 'completed', forkStatus: 'completed', sameOutcome: true, changed: [], contractViolations: [], tokens: { before: 40, after: 38 }, latencyMs: { before: 40, after: 25 } });
  });

  it('a changed output, and a broken contract failing the fork', () => {
    const changed = [ev('run.started', {}), done('intake', { id: 1 }, { reused: true }), done('summarize', { s: 'b' }), ev('run.completed', { output: { s: 'b' } })];
    expect(compareRuns(origin, changed)).toMatchObject({ sameOutcome: false, changed: ['summarize'] });
    const broken = [ev('run.started', {}), done('intake', { id: 1 }, { reused: true }), ev('task.failed', { nodeId: 'summarize', error: 'output breaks the output schema of summarizer v2: output.s must be string', durationMs: 3 }), ev('run.failed', { error: {} })];
    expect(compareRuns(origin, broken)).toMatchObject({ forkStatus: 'failed', sameOutcome: false, changed: ['summarize'], contractViolations: [{ nodeId: 'summarize' }], latencyMs: { before: 40, after: 3 } });
  });
});

describe('summarize', () => {
  const row = (over: Partial<EvaluationRow>): EvaluationRow => ({ origin: 'o', fork: 'f', state: 'compared', originStatus: 'completed', forkStatus: 'completed', sameOutcome: true, changed: [], contractViolations: [], tokens: { before: 10, after: 12 }, latencyMs: { before: 100, after: 50 }, ...over });
  it('counts outcomes and takes the median latency of compared runs', () => {
    const s = summarize([row({}), row({ sameOutcome: false, changed: ['x'], latencyMs: { before: 300, after: 90 } }), row({ sameOutcome: false, forkStatus: 'failed', contractViolations: [{ nodeId: 'x', error: 'e' }], latencyMs: { before: 200, after: 70 } }), row({ state: 'skipped' })]);
    expect(s).toEqual({ runs: 4, compared: 3, skipped: 1, sameOutcome: 1, differentOutcome: 2, changed: 1, brokeContract: 1, failed: 1, tokens: { before: 30, after: 36, delta: 6 }, latencyP50Ms: { before: 200, after: 70 } });
    expect(summarize([]).latencyP50Ms).toEqual({ before: null, after: null });
  });
});
