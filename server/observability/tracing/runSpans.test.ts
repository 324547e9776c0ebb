/**
 * runSpans: the spans a run's events make, with the ids the run recorded or derives: retries are task
 * spans of one node span, a failed attempt is an error, a run's end closes what is still open, and a run
 * without a trace makes none.
 */
import { describe, expect, it } from 'vitest';
import type { Json, SpineEvent } from '@/server/spine';
import { nodeSpanId, taskSpanId } from '@/server/engine';
import { RunSpanBuilder } from './runSpans';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const RUN_SPAN = '1111111111111111';
let seq = 0;
const ev = (type: string, payload: Record<string, Json>, ms: number, runId = 'r1'): SpineEvent =>
  ({ seq: ++seq, id: `e${seq}`, type, key: null, runId, causationId: null, source: { kind: 'engine', name: 'engine' }, time: new Date(ms).toISOString(), envelopeVersion: 1, payload, idempotencyKey: null, prevHash: '', hash: '' }) as SpineEvent;
const dispatched = (nodeId: string, attempt: number, ms: number) =>
  ev('task.dispatched', { nodeId, attempt, agent: 'classifier', input: {}, idempotencyKey: `r1:${nodeId}:${attempt}`, timeoutMs: 1000, trace: { traceparent: `00-${T}-${taskSpanId(T, nodeId, attempt)}-01` } }, ms);
const started = (trace: Json | undefined, ms = 1000) => ev('run.started', { workflowId: 'w', workflowSlug: 'triage', version: 1, input: {}, startedBy: 'ann', trigger: { kind: 'api' }, ...(trace !== undefined && { trace }) }, ms);

describe('runSpans', () => {
  it('an attempt that failed and its retry are two task spans under one node span, which ends with the result', () => {
    const b = new RunSpanBuilder();
    b.apply(started({ traceparent: `00-${T}-${RUN_SPAN}-01`, parentSpanId: '00f067aa0ba902b7' }));
    expect(b.apply(dispatched('classify', 1, 1100))).toEqual([]);
    expect(b.openTasks()).toBe(1);
    const [failed] = b.apply(ev('task.failed', { nodeId: 'classify', attempt: 1, error: 'boom', errorKind: 'error', retryable: true, durationMs: 50 }, 1150));
    expect(failed).toMatchObject({ spanId: taskSpanId(T, 'classify', 1), parentSpanId: nodeSpanId(T, 'classify'), status: 'error', statusMessage: 'boom', kind: 'client', startMs: 1100, endMs: 1150 });
    expect(failed!.attributes).toMatchObject({ 'error.type': 'error', 'spine.task.retryable': true });
    b.apply(dispatched('classify', 2, 1200));
    const done = b.apply(ev('task.completed', { nodeId: 'classify', attempt: 2, output: {}, envelopeVersion: 1, durationMs: 30, inputTokens: 12, outputTokens: 5, model: 'm-1' }, 1230));
    expect(done.map((s) => [s.name, s.spanId, s.status])).toEqual([
      ['task classify', taskSpanId(T, 'classify', 2), 'ok'],
      ['node classify', nodeSpanId(T, 'classify'), 'ok'],
    ]);
    expect(done[0]!.attributes).toMatchObject({ 'gen_ai.request.model': 'm-1', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 5 });
    expect(done[1]).toMatchObject({ parentSpanId: RUN_SPAN, startMs: 1100, endMs: 1230 });
    const [run] = b.apply(ev('run.completed', { output: {}, endNodeId: 'done' }, 1300));
    expect(run).toMatchObject({ traceId: T, spanId: RUN_SPAN, parentSpanId: '00f067aa0ba902b7', status: 'ok', startMs: 1000, endMs: 1300, name: 'run triage', sampled: true });
    expect(b.size).toBe(0);
  });

  it("a run's end closes the spans still open, and the run span of a cancelled run is neither ok nor an error", () => {
    const b = new RunSpanBuilder();
    b.apply(started({ traceparent: `00-${T}-${RUN_SPAN}-00` }));
    b.apply(dispatched('classify', 1, 1100));
    b.apply(ev('approval.requested', { nodeId: 'ok', approvalId: 'r1:ok', role: 'approver', instructions: null, dueAt: null, requiredApprovals: 2, allowRequester: false, onLapse: 'fail' }, 1100));
    expect(b.apply(ev('approval.decided', { nodeId: 'ok', approvalId: 'r1:ok', decision: 'approve', actor: 'anna', n: 1 }, 1150))).toEqual([]);
    const spans = b.apply(ev('run.cancelled', { reason: 'no longer needed', actor: 'ops' }, 1200));
    expect(spans.map((s) => [s.name, s.status, s.endMs])).toEqual([
      ['task classify', 'unset', 1200],
      ['approval ok', 'unset', 1200],
      ['node classify', 'unset', 1200],
      ['run triage', 'unset', 1200],
    ]);
    expect(spans.every((s) => s.sampled === false && s.traceId === T)).toBe(true);
    expect(spans[3]!.parentSpanId).toBeUndefined();
  });

  it('a run without a trace (started before tracing) makes no spans', () => {
    const b = new RunSpanBuilder();
    b.apply(started(undefined));
    expect(b.knows('r1')).toBe(false);
    expect(b.apply(ev('run.completed', { output: {}, endNodeId: 'done' }, 1300))).toEqual([]);
  });
});
