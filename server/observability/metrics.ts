/**
 * The overview's figures, computed from the log on the database: throughput, runs by status, latency
 * percentiles per agent and per node kind, failure and retry rates, stale re-runs, pending approvals and
 * their age, join wait times. Every figure is a query over events (or the run index, which the log writer
 * keeps in the same transaction), never a counter kept on the side, so it cannot drift from the log.
 *
 * A window ("the last hour") is turned into a seq range first (`seqAtTime`), so each query reads only
 * the window through the primary key or the (type, seq) index. Percentiles are nearest-rank and computed
 * with window functions, the same SQL on SQLite and PostgreSQL.
 */
import { z } from 'zod';
import { RUN_STATUSES, logQueries, num, numOrNull, type EventLog, type LogQueries, type RunStatus } from '@/server/spine';
import { seqAtTime } from './timeline';

export const METRIC_WINDOWS = { '15m': 15 * 60_000, '1h': 60 * 60_000, '24h': 24 * 60 * 60_000, '7d': 7 * 24 * 60 * 60_000 } as const;
export type MetricWindow = keyof typeof METRIC_WINDOWS;
export const MetricsInput = z.object({ window: z.enum(Object.keys(METRIC_WINDOWS) as [MetricWindow, ...MetricWindow[]]).default('1h') }).strict();
export type MetricsInput = z.input<typeof MetricsInput>;

/** Buckets in the throughput chart and in each agent's sparkline. */
export const BUCKETS = 30;

export type Percentiles = { count: number; p50: number | null; p95: number | null; max: number | null };
/**
 * `inputTokens` / `outputTokens`: summed over the agent's completions and the tool calls made of it in the
 * window (LLM agents record usage); `cost` only where the agent has a price per 1M tokens, else null.
 */
export type AgentMetrics = Percentiles & { agent: string; dispatched: number; failed: number; retries: number; spark: { t: number; n: number; avgMs: number | null }[]; inputTokens: number; outputTokens: number; cost: number | null };
export type Overview = {
  window: MetricWindow;
  asOfMs: number;
  head: number;
  fromSeq: number;
  bucketMs: number;
  /** Events per second over the last minute. */
  eventsPerSecond: number;
  /** Events per second, each second of the last minute (so a view can let it decay while the log is idle). */
  recent: { t: number; n: number }[];
  eventsInWindow: number;
  throughput: { t: number; n: number }[];
  runsByStatus: Record<RunStatus, number>;
  runsTotal: number;
  agents: AgentMetrics[];
  nodeKinds: (Percentiles & { kind: string })[];
  tasks: { dispatched: number; completed: number; failed: number; retried: number; stale: number; staleReruns: number; failureRate: number | null; retryRate: number | null };
  runs: { started: number; completed: number; failed: number; cancelled: number; failureRate: number | null };
  approvals: { pending: number; oldestRequestedAtMs: number | null; items: { runId: string; approvalId: string; nodeId: string; role: string | null; requestedAtMs: number; workflowId: string | null; /** The workflow's name and the step's label (its version's), for people; null when unknown. */ workflowName: string | null; nodeLabel: string | null }[] };
  joins: Percentiles;
};

/**
 * Events committed in each bucket `[times[i], times[i+1])` (the last one open to the head), from the seq
 * at each boundary: seq is commit-ordered and so is commit time, so a bucket's count is the difference of
 * its boundary seqs, found by binary search instead of a scan of the window.
 */
async function countsPerBucket(log: EventLog, times: number[], head: number): Promise<{ t: number; n: number }[]> {
  const bounds = await Promise.all(times.map((t) => seqAtTime(log, t, head)));
  return times.map((t, i) => ({ t, n: Math.max(0, (i + 1 < bounds.length ? bounds[i + 1]! : head + 1) - bounds[i]!) }));
}

/** `WITH d(g, v)` → nearest-rank p50/p95 per g (agentHealth.ts reads with it too). */
export function percentilesSql(inner: string): string {
  return `WITH d AS (${inner}),
  r AS (SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn, COUNT(*) OVER (PARTITION BY g) AS n FROM d WHERE v IS NOT NULL)
  SELECT g, MAX(n) AS n, MIN(CASE WHEN rn * 100 >= n * 50 THEN v END) AS p50, MIN(CASE WHEN rn * 100 >= n * 95 THEN v END) AS p95, MAX(v) AS mx FROM r GROUP BY g`;
}

type PRow = { g: string; n: unknown; p50: unknown; p95: unknown; mx: unknown };
const toP = (r: PRow | undefined): Percentiles => ({ count: num(r?.n), p50: numOrNull(r?.p50), p95: numOrNull(r?.p95), max: numOrNull(r?.mx) });

export async function overview(log: EventLog, raw: MetricsInput = {}, nowMs = Date.now()): Promise<Overview> {
  const { window } = MetricsInput.parse(raw);
  const span = METRIC_WINDOWS[window];
  const since = nowMs - span;
  const sql = logQueries(log);
  const [head, fromSeq, lastMinuteSeq] = await Promise.all([log.head(), seqAtTime(log, since), seqAtTime(log, nowMs - 60_000)]);
  const bucketMs = Math.ceil(span / BUCKETS / 1000) * 1000;
  const w = [fromSeq, since];
  const inWindow = 'seq >= ? AND time_ms >= ?';

  const firstBucket = since - (since % bucketMs);
  const bucketTimes = Array.from({ length: Math.floor((nowMs - firstBucket) / bucketMs) + 1 }, (_, i) => firstBucket + i * bucketMs);
  const secondTimes = Array.from({ length: 61 }, (_, i) => nowMs - 60_000 - (nowMs % 1000) + i * 1000);

  const [throughput, recent, counts, agentP, agentCounts, dispatches, sparks, kinds, runStatus, approvals, tokens] = await Promise.all([
    countsPerBucket(log, bucketTimes, head),
    countsPerBucket(log, secondTimes, head),
    sql.all<{ type: string; n: unknown; reruns: unknown }>(
      `SELECT type, count(*) AS n, SUM(CASE WHEN type = 'task.stale' AND ${sql.jsonText('payload', 'policy')} = 'rerun' THEN 1 ELSE 0 END) AS reruns FROM events
       WHERE ${inWindow} AND type IN ('task.dispatched','task.completed','task.failed','task.retried','task.stale','run.started','run.completed','run.failed','run.cancelled') GROUP BY type`,
      w,
    ),
    sql.all<PRow>(percentilesSql(`SELECT source_name AS g, ${sql.jsonNumber('payload', 'durationMs')} AS v FROM events WHERE ${inWindow} AND type = 'task.completed' AND source_kind = 'agent'`), w),
    sql.all<{ g: string; type: string; n: unknown }>(`SELECT source_name AS g, type, count(*) AS n FROM events WHERE ${inWindow} AND type IN ('task.completed','task.failed') AND source_kind = 'agent' GROUP BY source_name, type`, w),
    sql.all<{ g: string | null; n: unknown; retries: unknown }>(
      `SELECT ${sql.jsonText('payload', 'agent')} AS g, count(*) AS n, SUM(CASE WHEN ${sql.jsonNumber('payload', 'attempt')} > 1 THEN 1 ELSE 0 END) AS retries FROM events WHERE ${inWindow} AND type = 'task.dispatched' GROUP BY g`,
      w,
    ),
    sql.all<{ g: string; b: unknown; n: unknown; avg: unknown }>(
      `SELECT source_name AS g, (time_ms - (time_ms % ?)) AS b, count(*) AS n, AVG(${sql.jsonNumber('payload', 'durationMs')}) AS avg FROM events WHERE ${inWindow} AND type = 'task.completed' AND source_kind = 'agent' GROUP BY source_name, b`,
      [bucketMs, ...w],
    ),
    sql.all<PRow>(percentilesSql(nodeKindLatencies(sql)), [...w, ...w, ...w, ...w, since]),
    sql.all<{ status: string; n: unknown }>('SELECT status, count(*) AS n FROM runs GROUP BY status'),
    pendingApprovals(log),
    sql.all<{ g: string | null; tin: unknown; tout: unknown; cost: unknown; priced: unknown }>(
      `SELECT CASE WHEN type = 'task.tool_called' THEN ${sql.jsonText('payload', 'tool')} ELSE source_name END AS g,
         SUM(${sql.jsonNumber('payload', 'inputTokens')}) AS tin, SUM(${sql.jsonNumber('payload', 'outputTokens')}) AS tout,
         SUM(${sql.jsonNumber('payload', 'cost')}) AS cost, COUNT(${sql.jsonNumber('payload', 'cost')}) AS priced
       FROM events WHERE ${inWindow} AND type IN ('task.completed','task.failed','task.tool_called') AND ${sql.jsonNumber('payload', 'inputTokens')} IS NOT NULL GROUP BY g`,
      w,
    ),
  ]);

  const byType = Object.fromEntries(counts.map((c) => [c.type, num(c.n)]));
  const staleReruns = counts.reduce((a, c) => a + num(c.reruns), 0);
  const t = (k: string) => byType[k] ?? 0;
  const rate = (a: number, b: number) => (b > 0 ? a / b : null);
  const runsByStatus = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
  for (const r of runStatus) if ((RUN_STATUSES as readonly string[]).includes(r.status)) runsByStatus[r.status as RunStatus] = num(r.n);


  const agents = new Map<string, AgentMetrics>();
  const agent = (name: string) => {
    let a = agents.get(name);
    if (!a) {
      a = { agent: name, count: 0, p50: null, p95: null, max: null, dispatched: 0, failed: 0, retries: 0, spark: [], inputTokens: 0, outputTokens: 0, cost: null };
      agents.set(name, a);
    }
    return a;
  };
  for (const r of agentP) Object.assign(agent(r.g), toP(r));
  for (const r of agentCounts) if (r.type === 'task.failed') agent(r.g).failed = num(r.n);
  for (const r of dispatches) if (r.g) Object.assign(agent(r.g), { dispatched: num(r.n), retries: num(r.retries) });
  for (const r of tokens) if (r.g) Object.assign(agent(r.g), { inputTokens: num(r.tin), outputTokens: num(r.tout), cost: num(r.priced) > 0 ? num(r.cost) : null });
  const sparkBy = new Map<string, Map<number, { n: number; avgMs: number | null }>>();
  for (const r of sparks) {
    const m = sparkBy.get(r.g) ?? new Map();
    m.set(num(r.b), { n: num(r.n), avgMs: numOrNull(r.avg) });
    sparkBy.set(r.g, m);
  }
  for (const a of agents.values()) {
    const m = sparkBy.get(a.agent);
    a.spark = bucketTimes.map((b) => ({ t: b, n: m?.get(b)?.n ?? 0, avgMs: m?.get(b)?.avgMs ?? null }));
  }

  const eventsInWindow = Math.max(0, head - fromSeq + 1);
  return {
    window,
    asOfMs: nowMs,
    head,
    fromSeq,
    bucketMs,
    eventsPerSecond: Math.max(0, head - lastMinuteSeq + 1) / 60,
    recent: recent.filter((r) => r.t < nowMs),
    eventsInWindow,
    throughput,
    runsByStatus,
    runsTotal: Object.values(runsByStatus).reduce((a, b) => a + b, 0),
    agents: [...agents.values()].sort((a, b) => b.dispatched - a.dispatched || a.agent.localeCompare(b.agent)),
    nodeKinds: ['agent', 'approval', 'delay', 'join', 'run'].map((kind) => ({ kind, ...toP(kinds.find((k) => k.g === kind)) })),
    tasks: {
      dispatched: t('task.dispatched'), completed: t('task.completed'), failed: t('task.failed'), retried: t('task.retried'), stale: t('task.stale'),
      staleReruns, failureRate: rate(t('task.failed'), t('task.dispatched')), retryRate: rate(t('task.retried'), t('task.dispatched')),
    },
    runs: {
      started: t('run.started'), completed: t('run.completed'), failed: t('run.failed'), cancelled: t('run.cancelled'),
      failureRate: rate(t('run.failed'), t('run.completed') + t('run.failed') + t('run.cancelled')),
    },
    approvals,
    joins: toP(kinds.find((k) => k.g === 'join')),
  };
}

/**
 * `(g, v)` rows of step latencies by node kind, in ms: an agent's work (its reported duration), an
 * approval from request to final decision, a delay from scheduled to fired, a join from its first
 * input to firing, a run from start to end. Parameters: the window (seq, ms) four times, then `since`.
 */
function nodeKindLatencies(sql: LogQueries): string {
  const approvalId = (t: string) => sql.jsonText(`${t}.payload`, 'approvalId');
  const timerId = (t: string) => sql.jsonText(`${t}.payload`, 'timerId');
  return `SELECT 'agent' AS g, ${sql.jsonNumber('payload', 'durationMs')} AS v FROM events WHERE seq >= ? AND time_ms >= ? AND type = 'task.completed'
  UNION ALL
  SELECT 'approval' AS g, MAX(d.time_ms) - MIN(q.time_ms) AS v
    FROM events d JOIN events q ON q.run_id = d.run_id AND q.type = 'approval.requested' AND ${approvalId('q')} = ${approvalId('d')}
    WHERE d.seq >= ? AND d.time_ms >= ? AND d.type = 'approval.decided' GROUP BY d.run_id, ${approvalId('d')}
  UNION ALL
  SELECT 'delay' AS g, f.time_ms - s.time_ms AS v
    FROM events f JOIN events s ON s.run_id = f.run_id AND s.type = 'timer.scheduled' AND ${timerId('s')} = ${timerId('f')} AND ${sql.jsonText('s.payload', 'purpose')} = 'delay'
    WHERE f.seq >= ? AND f.time_ms >= ? AND f.type = 'timer.fired'
  UNION ALL
  ${joinWaits(sql)}
  UNION ALL
  SELECT 'run' AS g, ended_at_ms - started_at_ms AS v FROM runs WHERE status = 'completed' AND ended_at_ms >= ?`;
}

/**
 * `(g = 'join', v)`: for each join that fired in the window, the time from its first input's arrival (the
 * earliest completion, before the join, of a node it names as arrived) to firing. Parameters: the window
 * (seq, ms).
 */
const COMPLETIONS = "('task.completed','join.satisfied','route.chosen','approval.decided','fanout.started','node.completed','context.patched')";
function joinWaits(sql: LogQueries): string {
  const arrived = sql.jsonArrayElements('j.payload', 'arrived', 'x');
  return `SELECT 'join' AS g, j.time_ms - MIN(e.time_ms) AS v
    FROM events j CROSS JOIN ${arrived}
    JOIN events e ON e.run_id = j.run_id AND e.seq < j.seq AND e.type IN ${COMPLETIONS} AND ${sql.jsonText('e.payload', 'nodeId')} = x.value
    WHERE j.seq >= ? AND j.time_ms >= ? AND j.type = 'join.satisfied' GROUP BY j.seq, j.time_ms`;
}

/** Approvals requested in runs that are still active and not yet decided for good, oldest first. */
export async function pendingApprovals(log: EventLog): Promise<Overview['approvals']> {
  const sql = logQueries(log);
  const rows = await sql.all<{ run_id: string; type: string; payload: string; time_ms: unknown; workflow_id: string | null; version: unknown }>(
    `SELECT e.run_id, e.type, e.payload, e.time_ms, r.workflow_id, r.version FROM events e JOIN runs r ON r.id = e.run_id
     WHERE r.status IN ('running', 'waiting', 'queued') AND e.type IN ('approval.requested', 'approval.decided') ORDER BY e.seq`,
  );
  type A = { runId: string; approvalId: string; nodeId: string; role: string | null; requestedAtMs: number; workflowId: string | null; version: number; required: number; approvers: Set<string>; done: boolean };
  const open = new Map<string, A>();
  for (const r of rows) {
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(r.payload) as Record<string, unknown>;
    } catch {
      continue;
    }
    const id = String(p.approvalId ?? '');
    if (r.type === 'approval.requested') {
      open.set(id, {
        runId: r.run_id, approvalId: id, nodeId: String(p.nodeId ?? ''), role: typeof p.role === 'string' ? p.role : null, requestedAtMs: num(r.time_ms),
        workflowId: r.workflow_id, version: num(r.version), required: typeof p.requiredApprovals === 'number' ? p.requiredApprovals : 1, approvers: new Set(), done: false,
      });
    } else {
      const a = open.get(id);
      if (!a) continue;
      if (p.decision === 'reject' || p.auto) a.done = true;
      else {
        a.approvers.add(String(p.actor ?? ''));
        if (a.approvers.size >= a.required) a.done = true;
      }
    }
  }
  const items = [...open.values()].filter((a) => !a.done).sort((a, b) => a.requestedAtMs - b.requestedAtMs);
  const shown = items.slice(0, 20);
  const names = await workflowLabels(sql, shown);
  return {
    pending: items.length,
    oldestRequestedAtMs: items[0]?.requestedAtMs ?? null,
    items: shown.map(({ runId, approvalId, nodeId, role, requestedAtMs, workflowId, version }) => {
      const wf = workflowId ? names.get(`${workflowId}@${version}`) : undefined;
      return { runId, approvalId, nodeId, role, requestedAtMs, workflowId, workflowName: wf?.name ?? null, nodeLabel: wf?.labels.get(nodeId) ?? null };
    }),
  };
}

/** The names and node labels of the workflow versions these runs started on, by `${workflowId}@${version}` (one query). */
async function workflowLabels(sql: LogQueries, runs: readonly { workflowId: string | null; version: number }[]): Promise<Map<string, { name: string | null; labels: Map<string, string> }>> {
  const pairs = [...new Map(runs.flatMap((r) => (r.workflowId ? [[`${r.workflowId}@${r.version}`, [r.workflowId, r.version] as const]] : []))).values()];
  const out = new Map<string, { name: string | null; labels: Map<string, string> }>();
  if (!pairs.length) return out;
  const rows = await sql.all<{ workflow_id: string; version: unknown; document: string; name: string | null }>(
    `SELECT v.workflow_id, v.version, v.document, w.name FROM workflow_versions v LEFT JOIN workflows w ON w.id = v.workflow_id
     WHERE ${pairs.map(() => '(v.workflow_id = ? AND v.version = ?)').join(' OR ')}`,
    pairs.flat(),
  );
  for (const r of rows) {
    const labels = new Map<string, string>();
    try {
      const doc = JSON.parse(r.document) as { nodes?: { id?: unknown; label?: unknown }[] };
      for (const n of doc.nodes ?? []) if (typeof n.id === 'string' && typeof n.label === 'string' && n.label.trim()) labels.set(n.id, n.label.trim());
    } catch {
      // A document that does not parse names no labels; the ids are shown.
    }
    out.set(`${r.workflow_id}@${num(r.version)}`, { name: r.name, labels });
  }
  return out;
}
