/**
 * Where a run's trace begins: `newRunTrace` makes the W3C trace context a `run.started` records (a fresh
 * trace, or the caller's trace with a new span for the run under the caller's span), and `TriggerTraces`
 * hands the `traceparent` of a `POST /api/v1/events` request to the runs its event triggers. The rest of a
 * run's trace is derived from what run.started recorded (run/traceContext.ts), never from here.
 */
import { randomBytes } from 'node:crypto';
import { formatTraceparent, parseTraceparent, type RunTraceContext, type TraceContext } from './run/traceContext';

function hex(bytes: number): string {
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}

/**
 * The trace a new run records on its run.started. With the starting request's context, the run joins that
 * trace (same trace id, flags and tracestate; the caller's span becomes its parent); else a new trace,
 * sampled.
 * @example newRunTrace(traceContextOf(req.headers))
 */
export function newRunTrace(incoming?: TraceContext): RunTraceContext {
  const from = parseTraceparent(incoming?.traceparent);
  if (!from) return { traceparent: formatTraceparent(hex(16), hex(8), '01') };
  return { traceparent: formatTraceparent(from.traceId, hex(8), from.flags), ...(incoming?.tracestate && { tracestate: incoming.tracestate }), parentSpanId: from.spanId };
}

/** How long a published event's trace waits for the engine to route it. */
const TRIGGER_TRACE_TTL_MS = 5 * 60_000;
const TRIGGER_TRACE_MAX = 10_000;

/**
 * The trace contexts of events published with a `traceparent`, by event id, until the engine's trigger
 * starts the runs they trigger (every run that event starts joins the same trace). Held in this process
 * only: the event's id is chosen before it is appended, so the trigger always finds it here when the
 * same process publishes and leads; a trigger routed by another process, or after a restart, starts a
 * new trace instead (the run still has one).
 */
export class TriggerTraces {
  private readonly byEvent = new Map<string, { trace: TraceContext; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The event `eventId` (not yet appended) was published with `trace`. */
  expect(eventId: string, trace: TraceContext) {
    const now = this.now();
    for (const [id, t] of this.byEvent) {
      if (this.byEvent.size < TRIGGER_TRACE_MAX && now - t.at < TRIGGER_TRACE_TTL_MS) break;
      this.byEvent.delete(id);
    }
    this.byEvent.set(eventId, { trace, at: now });
  }

  /** The trace the event was published with, if this process saw it. */
  of(eventId: string): TraceContext | undefined {
    const t = this.byEvent.get(eventId);
    if (!t || this.now() - t.at >= TRIGGER_TRACE_TTL_MS) return undefined;
    return t.trace;
  }
}
