/**
 * Observability: what the dashboard reads. The public entry of server/observability.
 *
 * Every answer is computed from the log (and the run index its writer keeps): the timeline's windows and
 * live tail, event details with their causes and effects, the run list, a run's graph states, waterfall,
 * envelope versions and events, reasoning paths, and the overview's metrics. Nothing here writes.
 *
 * @example
 * const obs = observability({ spine, engine });
 * const { topSeq, total } = await obs.timelineSnapshot({ types: ['task.*'] });
 * const path = await obs.reasoningPath(runId, '1234');
 */
import { EVENT_COLUMNS, HISTORY_LIMIT, logQueries, num, rowToEvent, type DbRow, type Envelope, type Spine, type SpineEvent } from '@/server/spine';
import { parseTraceparent, runTraceOf, type EngineService, type RunView, type CompiledWorkflow } from '@/server/engine';
import { SpineEnv } from '@/server/env';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { NotFoundError, UnavailableError } from '@/server/errors';
import { agentHealth, type AgentHealthInput } from './agentHealth';
import { envelopeAtVersion, envelopeVersions, type EnvelopeMade, type EnvelopeVersion } from './envelopeVersions';
import { overview, type MetricsInput, type Overview } from './metrics';
import { overviewLive } from './metricsLive';
import { buildReasoningPath, withTriggerEvent, type ReasoningPath } from './reasoningPath';
import { agentsAtWork, listRuns, runStarters, waitingOf, workflowsWithRuns, type RunList, type RunListQuery, type RunListRow } from './runList';
import { buildRunTrace, type CauseRelation, type RunTrace } from './runTrace';
import { matchesTimelineFilter, timelineLocate, timelineSnapshot, timelineWindow, workflowLookup, type TimelineFilter } from './timeline';
import { buildWaterfall, type Waterfall } from './waterfall';
import { runUsage, type RunUsage } from './usage';

export { TimelineFilter, seqAtTime } from './timeline';
export { RunListQuery, RUN_SORTS } from './runList';
export { MetricsInput, METRIC_WINDOWS } from './metrics';
export type { UsageTotals } from './usage';
export { runUsage, type RunUsage };
export type { Overview, RunList, RunListRow, ReasoningPath, Waterfall, EnvelopeVersion, EnvelopeMade, CauseRelation };
export type { Hop, HopKind, HopAttempt, HopCause, HopToolCall } from './reasoningPath';
export type { Span, SpanKind, SpanOutcome, WaterfallRow } from './waterfall';
export type { AgentMetrics, Percentiles, MetricWindow } from './metrics';
export type { TimelineSnapshot } from './timeline';
/* OpenTelemetry export of the log's runs as traces and metrics (tracing/, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set). */
export { startTracing, type Tracing, type TracingOptions } from './tracing/start';
export { otelConfigFromEnv, type OtelConfig } from './tracing/config';
export { AGENT_HEALTH_STATUSES, HEALTH_WINDOW_MS, type AgentHealth, type AgentHealthStatus, type AgentHealthInput } from './agentHealth';

/**
 * A cause or effect of an event. `inferred` marks a link reconstructed from the workflow graph (an event
 * recorded without causationId); every other link was read from the log.
 */
export type EventRef = { seq: number; id: string; type: string; runId: string | null; relation: CauseRelation; inferred: boolean; time: string; source: { kind: string; name: string } };

export type EventDetail = {
  event: SpineEvent;
  /** What the event follows from: its recorded cause (causationId) first, then what it records itself. */
  causes: EventRef[];
  /** Events that follow from it, in seq order: those naming it as their cause, and the run it triggered. */
  effects: EventRef[];
  run: { id: string; workflowId: string; workflowSlug: string | null; version: number; status: string } | null;
};

export type RunDetail = {
  run: RunView;
  index: RunListRow | null;
  document: WorkflowDocument | null;
  workflowName: string | null;
  waterfall: Waterfall;
  versions: EnvelopeVersion[];
  versionsOmitted: number;
  events: SpineEvent[];
  eventsOmitted: number;
  /** Node id → agents at work (for running nodes). */
  asOfMs: number;
  /** Tokens and cost of the run's LLM calls (null when it made none). */
  usage: RunUsage | null;
  /** The run's W3C trace id (from its run.started; null for a run started before tracing), and its viewer link (SPINE_TRACE_URL). */
  traceId: string | null;
  traceUrl: string | null;
  /** Fork links, from all the run's events: the run it was forked from (run.started `fork`), and its forks (run.forked). */
  forks: { from: { runId: string; atSeq: number } | null; made: { runId: string; atSeq: number }[] };
};

function forkLinks(events: readonly SpineEvent[]): RunDetail['forks'] {
  const from = (events.find((e) => e.type === 'run.started')?.payload as { fork?: { from: string; atSeq: number } } | undefined)?.fork;
  const made = events.filter((e) => e.type === 'run.forked').map((e) => e.payload as { fork: string; atSeq: number });
  return { from: from ? { runId: from.from, atSeq: from.atSeq } : null, made: made.map((m) => ({ runId: m.fork, atSeq: m.atSeq })) };
}

/** The trace viewer link of a trace id, when SPINE_TRACE_URL names one. */
function traceUrlOf(traceId: string | null): string | null {
  const template = SpineEnv.shape.SPINE_TRACE_URL.safeParse(process.env.SPINE_TRACE_URL || undefined);
  return traceId && template.success && template.data ? template.data.replaceAll('{traceId}', traceId) : null;
}

/** Events shown on the run page; the full list is in the timeline (filtered by run). */
export const RUN_EVENTS_SHOWN = 2000;

export function observability(deps: { spine: Spine; engine?: EngineService }) {
  const { spine, engine } = deps;
  const log = spine.log;

  async function runEvents(runId: string): Promise<SpineEvent[]> {
    const rows = await logQueries(log).all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ? ORDER BY seq`, [runId]);
    return log.eventsFromRows(rows);
  }

  async function workflowOf(events: SpineEvent[]): Promise<CompiledWorkflow | null> {
    const started = events.find((e) => e.type === 'run.started');
    const p = started?.payload as { workflowId?: unknown; version?: unknown } | undefined;
    if (!engine || typeof p?.workflowId !== 'string' || typeof p.version !== 'number') return null;
    return engine.workflow(p.workflowId, p.version).catch(() => null);
  }

  async function trace(runId: string): Promise<{ trace: RunTrace; wf: CompiledWorkflow | null; events: SpineEvent[] }> {
    const events = await runEvents(runId);
    if (events.length === 0) throw new NotFoundError('run.not_found', `No run '${runId}'`, { runId });
    const wf = await workflowOf(events);
    return { trace: buildRunTrace(runId, events, wf), wf, events };
  }

  async function eventById(id: string): Promise<SpineEvent | null> {
    const row = await logQueries(log).get<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`, [id]);
    return row ? (await log.eventsFromRows([row]))[0]! : null;
  }

  const ref = (e: SpineEvent, relation: CauseRelation, inferred = false): EventRef => ({ seq: e.seq, id: e.id, type: e.type, runId: e.runId, relation, inferred, time: e.time, source: e.source });

  /** The event outside the run that started it (by causationId, or by the trigger's seq in older runs). */
  async function triggerOf(t: RunTrace): Promise<SpineEvent | null> {
    if (!t.external) return null;
    if (t.external.id) return eventById(t.external.id);
    return t.external.seq ? log.getEvent(t.external.seq).catch(() => null) : null;
  }

  return {
    timelineSnapshot: (f: TimelineFilter, firstLimit = 0) => timelineSnapshot(log, f, firstLimit),
    timelineWindow: (f: TimelineFilter, topSeq: number, offset: number, limit: number) => timelineWindow(log, f, topSeq, offset, limit),
    timelineLocate: (f: TimelineFilter, topSeq: number, seq: number) => timelineLocate(log, f, topSeq, seq),

    /** Matching events after `after`, then live; the spine guarantees order and no gap at the seam. */
    async *timelineLive(f: TimelineFilter, after: number | undefined, signal?: AbortSignal): AsyncGenerator<SpineEvent> {
      const lookup = workflowLookup(log);
      for await (const e of spine.subscribe({ types: f.types, key: f.key, runId: f.runId, after, signal })) {
        if (await matchesTimelineFilter(f, e, lookup)) yield e;
      }
    },

    async eventDetail(seq: number): Promise<EventDetail> {
      const event = await spine.getEvent(seq);
      const causes: EventRef[] = [];
      const effects: EventRef[] = [];
      let run: EventDetail['run'] = null;
      if (event.runId) {
        const { trace: t } = await trace(event.runId);
        for (const c of t.causes.get(seq) ?? []) causes.push(ref(t.bySeq.get(c.seq)!, c.relation, c.inferred));
        for (const c of t.effects.get(seq) ?? []) effects.push(ref(t.bySeq.get(c.seq)!, c.relation, c.inferred));
        // A recorded cause outside the run: the trigger of run.started, or whatever another publisher named.
        const beyond = event.type === 'run.started' ? await triggerOf(t) : t.outside.has(seq) ? await eventById(t.outside.get(seq)!) : null;
        if (beyond) causes.unshift(ref(beyond, event.type === 'run.started' ? 'trigger' : 'causation'));
        const idx = await log.getRun(event.runId);
        if (idx) {
          const wf = await logQueries(log).get<{ slug: string }>('SELECT slug FROM workflows WHERE id = ?', [idx.workflowId]);
          run = { id: idx.id, workflowId: idx.workflowId, workflowSlug: wf?.slug ?? null, version: idx.version, status: idx.status };
        }
      } else if (event.causationId) {
        const cause = await eventById(event.causationId);
        if (cause) causes.push(ref(cause, 'causation'));
      }
      // Events that name this one as their cause: later in the log, so the scan starts after it.
      const caused = await logQueries(log).all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? AND causation_id = ? ORDER BY seq LIMIT 50`, [seq, event.id]);
      for (const row of caused) {
        const e = rowToEvent(row);
        if (!effects.some((x) => x.seq === e.seq)) effects.push(ref(e, e.type === 'run.started' ? 'trigger' : 'causation'));
      }
      effects.sort((a, b) => a.seq - b.seq);
      return { event, causes, effects, run };
    },

    runList: (q: RunListQuery) => listRuns(log, q),

    /**
     * The run's envelope as it was at `version` (with `updatedSeq` and `updatedAt` of the event that made it);
     * 404 `envelope.not_found` for an unknown run, `envelope.version_not_found` for a version it never had.
     * Reads only the run's opening and patches up to that version, and its history up to there.
     */
    async envelopeAt(runId: string, version: number): Promise<Envelope & EnvelopeMade> {
      const sql = logQueries(log);
      // Each patch the writer accepted bumps the version by one, so version n is made by the n-th change.
      const rows = await sql.all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ? AND type IN ('run.started', 'context.patched') ORDER BY seq LIMIT ?`, [runId, version]);
      if (rows.length === 0) throw new NotFoundError('envelope.not_found', `No envelope for run '${runId}'`, { runId });
      const changes = await log.eventsFromRows(rows);
      const made = changes[changes.length - 1]!.seq;
      const [recent, count] = await Promise.all([
        sql.all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ? AND seq <= ? ORDER BY seq DESC LIMIT ?`, [runId, made, HISTORY_LIMIT]),
        sql.get<{ n: unknown }>('SELECT count(*) AS n FROM events WHERE run_id = ? AND seq <= ?', [runId, made]),
      ]);
      const entries = recent.map(rowToEvent).map((e) => ({ seq: e.seq, type: e.type, source: e.source, time: e.time }));
      const env = envelopeAtVersion(runId, changes, version, entries, num(count?.n));
      if (!env) throw new NotFoundError('envelope.version_not_found', `Run '${runId}' has no envelope version ${version}`, { runId, version });
      return env;
    },
    async runFilters() {
      const [workflows, starters] = await Promise.all([workflowsWithRuns(log), runStarters(log)]);
      return { workflows, starters };
    },

    async runDetail(runId: string): Promise<RunDetail> {
      if (!engine) throw new UnavailableError('engine.unavailable', 'The workflow engine is not running in this process');
      const { trace: t, wf, events } = await trace(runId);
      const [view, index, version] = await Promise.all([
        engine.getRun(runId),
        log.getRun(runId),
        wf ? engine.workflows.getVersion(wf.workflowId, wf.version).catch(() => null) : Promise.resolve(null),
      ]);
      const agents = index?.status === 'running' ? await agentsAtWork(log, [runId]) : new Map<string, string[]>();
      const { versions, omitted } = envelopeVersions(events);
      const now = Date.now();
      const traceId = parseTraceparent(runTraceOf(events.find((e) => e.type === 'run.started')?.payload)?.traceparent)?.traceId ?? null;
      return {
        run: view,
        index: index && {
          id: index.id, workflowId: index.workflowId, workflowSlug: version?.slug ?? wf?.slug ?? null, workflowName: version?.name ?? null, version: index.version, status: index.status,
          key: index.key, startedBy: index.startedBy, startedAtMs: index.startedAtMs, updatedAtMs: index.updatedAtMs, endedAtMs: index.endedAtMs, startedSeq: index.startedSeq,
          lastSeq: index.lastSeq, waitingOn: index.status === 'running' ? (agents.get(runId) ?? []).map((a) => ({ kind: 'agent' as const, label: a })) : waitingOf(index.waitingOn), error: index.error,
        },
        document: version?.document ?? wf?.doc ?? null,
        workflowName: version?.name ?? null,
        waterfall: buildWaterfall(t, wf),
        versions,
        versionsOmitted: omitted,
        events: events.length > RUN_EVENTS_SHOWN ? events.slice(events.length - RUN_EVENTS_SHOWN) : events,
        eventsOmitted: Math.max(0, events.length - RUN_EVENTS_SHOWN),
        asOfMs: now,
        usage: runUsage(events),
        traceId,
        traceUrl: traceUrlOf(traceId),
        forks: forkLinks(events),
      };
    },

    /** The reasoning path to an event of the run, given by seq or by id. */
    async reasoningPath(runId: string, eventRef: string): Promise<ReasoningPath & { versions: EnvelopeVersion[]; workflow: { id: string; slug: string; version: number; name: string | null } | null }> {
      const { trace: t, wf, events } = await trace(runId);
      const target = /^\d+$/.test(eventRef) ? t.bySeq.get(Number(eventRef)) : events.find((e) => e.id === eventRef);
      if (!target) throw new NotFoundError('event.not_in_run', `Run '${runId}' has no event '${eventRef}'`, { runId, event: eventRef });
      let path = buildReasoningPath(t, wf, target.seq);
      if (t.external) path = withTriggerEvent(path, await triggerOf(t), t.external);
      // Only the workflow's name is needed: one indexed read, not the version's document parsed again.
      const name = wf ? ((await logQueries(log).get<{ name: string }>('SELECT name FROM workflows WHERE id = ?', [wf.workflowId]))?.name ?? null) : null;
      return {
        ...path,
        versions: envelopeVersions(events).versions.filter((v) => v.version <= path.maxEnvelopeVersion),
        workflow: wf ? { id: wf.workflowId, slug: wf.slug, version: wf.version, name } : null,
      };
    },

    overview: (input: MetricsInput) => overview(log, input),
    /** Each agent's health over the last hour (status, last seen, in flight, success rate, p50/p95, last error). */
    agentHealth: (input: AgentHealthInput) => agentHealth(log, input),
    /** The overview now, then again after commits (throttled); nothing is computed while the log is idle. */
    overviewLive: (input: MetricsInput, signal?: AbortSignal) => overviewLive(spine, input, signal),
  };
}

export type Observability = ReturnType<typeof observability>;
