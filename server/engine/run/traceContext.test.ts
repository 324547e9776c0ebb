/**
 * traceContext: W3C traceparent parsing as the spec says, and span ids that are a pure function of the
 * recorded trace (the same run, node and attempt always name the same span).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeSpanId, parseTraceparent, runTraceOf, sha256Hex, spanIdOf, taskSpanId, taskTrace, traceContextOf } from './traceContext';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const headers = (h: Record<string, string>) => new Headers(h);

describe('traceContext', () => {
  it('hashes like node:crypto SHA-256, across block boundaries and UTF-8', () => {
    for (const s of ['', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'y'.repeat(64), 'z'.repeat(1000), 'Grüße, 世界 🚀']) {
      expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
    }
  });

  it('parses a valid traceparent and refuses what the spec calls invalid', () => {
    expect(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-01`)).toEqual({ traceId: TRACE, spanId: '00f067aa0ba902b7', flags: '01', sampled: true });
    expect(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-00`)?.sampled).toBe(false);
    expect(parseTraceparent(`cc-${TRACE}-00f067aa0ba902b7-01-future`)?.traceId).toBe(TRACE);
    for (const bad of [`ff-${TRACE}-00f067aa0ba902b7-01`, `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, `00-${TRACE}-${'0'.repeat(16)}-01`, `00-${TRACE}-00f067aa0ba902b7-01-extra`, `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`, 'garbage', '']) {
      expect(parseTraceparent(bad)).toBeNull();
    }
  });

  it('takes the trace context of request headers, and ignores an invalid one', () => {
    expect(traceContextOf(headers({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, tracestate: 'vendor=abc' }))).toEqual({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, tracestate: 'vendor=abc' });
    expect(traceContextOf(headers({ traceparent: 'nonsense', tracestate: 'vendor=abc' }))).toBeUndefined();
    expect(traceContextOf(headers({}))).toBeUndefined();
  });

  it('derives the same span id from the same recorded data, and different ones for each part', () => {
    expect(taskSpanId(TRACE, 'classify', 1)).toBe(createHash('sha256').update(`${TRACE}:task:classify:1`).digest('hex').slice(0, 16));
    expect(taskSpanId(TRACE, 'classify', 1)).toBe(taskSpanId(TRACE, 'classify', 1));
    const ids = new Set([taskSpanId(TRACE, 'classify', 1), taskSpanId(TRACE, 'classify', 2), taskSpanId(TRACE, 'classify', 1, 1), nodeSpanId(TRACE, 'classify'), spanIdOf(TRACE, 'task', 'other', 1)]);
    expect(ids.size).toBe(5);
  });

  it("gives a task the run's trace id, flags and tracestate with its own span id", () => {
    const run = { traceparent: `00-${TRACE}-1111111111111111-00`, tracestate: 'a=b', parentSpanId: '00f067aa0ba902b7' };
    expect(taskTrace(run, 'classify', 2)).toEqual({ traceparent: `00-${TRACE}-${taskSpanId(TRACE, 'classify', 2)}-00`, tracestate: 'a=b' });
    expect(runTraceOf({ trace: run })).toEqual(run);
    expect(runTraceOf({ trace: { traceparent: 'bad' } })).toBeUndefined();
    expect(runTraceOf({})).toBeUndefined();
  });
});
