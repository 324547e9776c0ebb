/**
 * OpenTelemetry export: a consumer of committed events that turns them into spans (runSpans.ts) and
 * metrics, and sends both over OTLP/HTTP (JSON) with the official SDK (`@opentelemetry/sdk-trace-base`,
 * `sdk-metrics`, the `exporter-*-otlp-http` exporters). Nothing in the engine calls it: it follows the log
 * from the head it sees at start, so what it exports is what committed. Off unless an OTLP endpoint is set
 * (config.ts); only the process leading the engine exports (`active`), so several instances send each span
 * once.
 *
 * The spans keep the ids the run recorded: the SDK's id generator is handed the id of each span as it is
 * started (`LogIds`), so the spans an agent made under its task's `traceparent` nest under the span Spine
 * exports for that task. A span is started and ended in one synchronous step, at the event times.
 *
 * Metrics: `spine.events` (counter, by event namespace: a rate is events/s), `spine.task.duration`
 * (histogram in s, by agent and outcome), `spine.queue.depth` (gauge: `tasks` dispatched and not finished,
 * `runs` queued behind an entity key).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace as otelTrace, TraceFlags, type Attributes, type Context } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Spine, SpineEvent } from '@/server/spine';
import type { OtelConfig } from './config';
import { RunSpanBuilder, type SpanRecord } from './runSpans';

const SCOPE = 'spine';
/** Runs found to have no trace (started before tracing), remembered so their events do not reload them. */
const UNTRACED_MAX = 10_000;
/** How long a flush waits for the log subscription to reach the head before exporting what it has. */
const FLUSH_WAIT_MS = 5_000;
/** Events that move a span: an unknown run's history is loaded for these only. */
const SPAN_EVENTS = new Set(['task.dispatched', 'task.completed', 'task.failed', 'task.tool_called', 'node.completed', 'approval.requested', 'approval.decided', 'run.completed', 'run.failed', 'run.cancelled']);

/**
 * Hands the SDK the span (and, for a new trace, trace) id the log says the next span has. Nothing else
 * starts spans on this provider (it is not registered globally), so `next` is always set when asked.
 */
class LogIds implements IdGenerator {
  next: { traceId: string; spanId: string } | null = null;
  private readonly random = new RandomIdGenerator();
  generateTraceId(): string {
    return this.next?.traceId ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.next?.spanId ?? this.random.generateSpanId();
  }
}

export type Tracing = {
  /** Exports every span and metric of the events committed before the call (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops following the log, exports what is left and shuts the providers down. */
  stop(): Promise<void>;
};

/** The export itself, loaded by startTracing (start.ts) only when an OTLP endpoint is configured. */
export async function startExport(spine: Spine, config: OtelConfig, active: () => boolean): Promise<Tracing> {
  // `spine` unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise (the detected resource wins a merge).
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'spine' }).merge(detectResources({ detectors: [envDetector] }));
  const ids = new LogIds();
  const tracerProvider = config.tracesUrl ? new BasicTracerProvider({ resource, idGenerator: ids, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }))] }) : null;
  const tracer = tracerProvider?.getTracer(SCOPE);
  const meterProvider = config.metricsUrl
    ? new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: config.metricsUrl }), exportIntervalMillis: config.metricIntervalMs, exportTimeoutMillis: Math.min(30_000, config.metricIntervalMs) })] })
    : null;

  const builder = new RunSpanBuilder();
  const untraced = new Set<string>();
  const queuedRuns = new Set<string>();
  const meter = meterProvider?.getMeter(SCOPE);
  const events = meter?.createCounter('spine.events', { description: 'Events committed to the log (rate: events per second)', unit: '{event}' });
  const taskDuration = meter?.createHistogram('spine.task.duration', { description: 'How long an agent task took, from dispatch to its result', unit: 's' });
  meter?.createObservableGauge('spine.queue.depth', { description: 'Work waiting: tasks dispatched and not finished, runs queued behind an entity key', unit: '{item}' }).addCallback((r) => {
    if (!active()) return;
    r.observe(builder.openTasks(), { 'spine.queue': 'tasks' });
    r.observe(queuedRuns.size, { 'spine.queue': 'runs' });
  });

  const exportSpan = (s: SpanRecord) => {
    if (!tracer) return;
    const parent: Context = s.parentSpanId
      ? otelTrace.setSpanContext(ROOT_CONTEXT, { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: s.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true, ...(s.tracestate && { traceState: new TraceState(s.tracestate) }) })
      : ROOT_CONTEXT;
    ids.next = { traceId: s.traceId, spanId: s.spanId };
    try {
      const span = tracer.startSpan(s.name, { kind: s.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, startTime: s.startMs, attributes: s.attributes as Attributes, root: !s.parentSpanId }, parent);
      if (s.status !== 'unset') span.setStatus({ code: s.status === 'ok' ? SpanStatusCode.OK : SpanStatusCode.ERROR, ...(s.statusMessage && { message: s.statusMessage.slice(0, 1000) }) });
      span.end(s.endMs);
    } finally {
      ids.next = null;
    }
  };

  /** A run this process did not see start: its history before `e` is folded in, and the spans that ended then are not exported again. */
  const catchUp = async (e: SpineEvent) => {
    const runId = e.runId!;
    if (builder.knows(runId) || untraced.has(runId) || !SPAN_EVENTS.has(e.type)) return;
    for (let after = 0; ; ) {
      const page = await spine.read({ after, limit: 1000, filter: { runId } });
      for (const past of page) if (past.seq < e.seq) builder.apply(past);
      if (page.length < 1000 || page[page.length - 1]!.seq >= e.seq) break;
      after = page[page.length - 1]!.seq;
    }
    if (!builder.knows(runId)) {
      if (untraced.size >= UNTRACED_MAX) untraced.clear();
      untraced.add(runId);
    }
  };

  const onEvent = async (e: SpineEvent) => {
    if (!active()) return;
    events?.add(1, { 'spine.event.namespace': e.type.split('.')[0]! });
    if (!e.runId) return;
    if (e.type === 'run.queued') queuedRuns.add(e.runId);
    else if (e.type === 'run.key_acquired' || e.type === 'run.completed' || e.type === 'run.failed' || e.type === 'run.cancelled') queuedRuns.delete(e.runId);
    if (e.type === 'task.completed' || e.type === 'task.failed') {
      const ms = (e.payload as { durationMs?: unknown } | null)?.durationMs;
      if (typeof ms === 'number') taskDuration?.record(ms / 1000, { 'spine.agent.name': e.source.name, 'spine.task.outcome': e.type === 'task.completed' ? 'completed' : 'failed' });
    }
    if (!tracer && !meter) return;
    await catchUp(e);
    for (const s of builder.apply(e)) exportSpan(s);
  };

  const abort = new AbortController();
  let seen = await spine.head();
  let following = true;
  const caughtUp: { seq: number; resolve: () => void }[] = [];
  const wake = () => {
    for (let i = caughtUp.length - 1; i >= 0; i--) if (!following || caughtUp[i]!.seq <= seen) caughtUp.splice(i, 1)[0]!.resolve();
  };
  const done = (async () => {
    try {
      for await (const e of spine.subscribe({ after: seen, signal: abort.signal })) {
        try {
          await onEvent(e);
        } catch (err) {
          console.error(`spine: tracing could not export event ${e.seq}`, err);
        }
        seen = e.seq;
        wake();
      }
    } catch (err) {
      if (!abort.signal.aborted) console.error('spine: tracing stopped following the log', err);
    } finally {
      following = false;
      wake();
    }
  })();

  /** Resolves once the events committed up to now are folded into spans (the subscription may lag the commit). */
  const catchUpToHead = async () => {
    const head = await spine.head();
    if (!following || head <= seen) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => caughtUp.push({ seq: head, resolve })),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_WAIT_MS))),
    ]);
    clearTimeout(timer);
  };
  const flush = async () => {
    await catchUpToHead();
    await Promise.all([tracerProvider?.forceFlush(), meterProvider?.forceFlush()]);
  };
  return {
    flush,
    async stop() {
      abort.abort();
      await done;
      await flush().catch(() => {});
      await Promise.all([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
    },
  };
}
