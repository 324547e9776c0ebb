/**
 * tracing: a run's trace begins new (sampled) or inside the caller's; a published event's trace waits
 * for its trigger a bounded time.
 */
import { describe, expect, it } from 'vitest';
import { parseTraceparent } from './run/traceContext';
import { newRunTrace, TriggerTraces } from './tracing';

describe('tracing', () => {
  it("a run's trace is new and sampled, or the caller's with a new span under the caller's", () => {
    const fresh = parseTraceparent(newRunTrace().traceparent)!;
    expect(fresh.sampled).toBe(true);
    expect(parseTraceparent(newRunTrace().traceparent)!.traceId).not.toBe(fresh.traceId);
    const joined = newRunTrace({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', tracestate: 'a=b' });
    expect(joined).toMatchObject({ tracestate: 'a=b', parentSpanId: '00f067aa0ba902b7' });
    expect(parseTraceparent(joined.traceparent)).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', flags: '00', sampled: false });
    expect(parseTraceparent(joined.traceparent)!.spanId).not.toBe('00f067aa0ba902b7');
  });

  it("a published event's trace is found by its id until it expires", () => {
    let now = 0;
    const traces = new TriggerTraces(() => now);
    traces.expect('ev-1', { traceparent: 'tp-1' });
    expect(traces.of('ev-1')).toEqual({ traceparent: 'tp-1' });
    expect(traces.of('ev-2')).toBeUndefined();
    now = 5 * 60_000;
    expect(traces.of('ev-1')).toBeUndefined();
  });
});
