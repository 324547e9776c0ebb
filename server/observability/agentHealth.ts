/**
 * Agent health, from the log alone (and, for agents of kind `sdk`, their heartbeats): for each registered
 * agent over the last hour, its status, when it was last seen, the tasks it holds now, its success rate,
 * its p50/p95 latency and its last error. Read through the read-only query port, like metrics.ts; the
 * window is turned into a seq range first, so every query reads only the last hour.
 *
 * Status, in this order:
 * - `offline`: no task event for the agent in the hour (no dispatch to it, no result from it) and, for kind
 *   `sdk`, no heartbeat in the hour either (`lastHeartbeat`, the SDK's heartbeats, plugs in here);
 * - `degraded`: its success rate in the hour is below 90 %, or its last task failed;
 * - `online`: otherwise.
 */
import { logQueries, num, numOrNull, type EventLog } from '@/server/spine';
import { percentilesSql } from './metrics';
import { seqAtTime } from './timeline';

/** The window health is computed over. */
export const HEALTH_WINDOW_MS = 60 * 60_000;
/** Below this success rate an agent is degraded. */
export const DEGRADED_BELOW = 0.9;

export const AGENT_HEALTH_STATUSES = ['online', 'degraded', 'offline'] as const;
export type AgentHealthStatus = (typeof AGENT_HEALTH_STATUSES)[number];

export type AgentHealth = {
  agent: string;
  status: AgentHealthStatus;
  /** Why the status, in words. */
  reason: string;
  /** The agent's last task event (or heartbeat) in the hour; null when none. */
  lastSeenMs: number | null;
  /** Tasks dispatched to it in running runs and not answered yet. */
  inFlight: number;
  completed: number;
  failed: number;
  /** completed / (completed + failed) in the hour; null without results. */
  successRate: number | null;
  p50: number | null;
  p95: number | null;
  lastError: { message: string; atMs: number; runId: string | null } | null;
};

export type AgentHealthInput = {
  /** The agents to report on (the registry's), with their kind. */
  agents: { name: string; kind: string }[];
  nowMs?: number;
  /** The last heartbeat of an `sdk` agent (the SDK's lease heartbeats); without it, sdk agents are judged by tasks alone. */
  lastHeartbeat?: (agent: string) => Date | null;
};

/** In-flight tasks are counted over at most this many running runs (the newest). */
const RUNNING_RUNS_READ = 2000;

export async function agentHealth(log: EventLog, input: AgentHealthInput): Promise<AgentHealth[]> {
  const nowMs = input.nowMs ?? Date.now();
  const since = nowMs - HEALTH_WINDOW_MS;
  const sql = logQueries(log);
  const fromSeq = await seqAtTime(log, since);
  const w = [fromSeq, since];
  const inWindow = 'seq >= ? AND time_ms >= ?';
  const agentOf = sql.jsonText('payload', 'agent');

  const [results, dispatched, latencies, lastResults, lastErrors, running] = await Promise.all([
    sql.all<{ g: string; type: string; n: unknown; last: unknown }>(
      `SELECT source_name AS g, type, count(*) AS n, MAX(time_ms) AS last FROM events WHERE ${inWindow} AND type IN ('task.completed','task.failed') AND source_kind = 'agent' GROUP BY source_name, type`, w),
    sql.all<{ g: string | null; last: unknown }>(`SELECT ${agentOf} AS g, MAX(time_ms) AS last FROM events WHERE ${inWindow} AND type = 'task.dispatched' GROUP BY g`, w),
    sql.all<{ g: string; n: unknown; p50: unknown; p95: unknown; mx: unknown }>(
      percentilesSql(`SELECT source_name AS g, ${sql.jsonNumber('payload', 'durationMs')} AS v FROM events WHERE ${inWindow} AND type = 'task.completed' AND source_kind = 'agent'`), w),
    // The newest result of each agent: its type says whether the last task failed.
    sql.all<{ g: string; type: string }>(
      `SELECT e.source_name AS g, e.type FROM events e JOIN (SELECT source_name, MAX(seq) AS s FROM events WHERE ${inWindow} AND type IN ('task.completed','task.failed') AND source_kind = 'agent' GROUP BY source_name) m ON e.seq = m.s`, w),
    sql.all<{ g: string; error: string | null; t: unknown; run_id: string | null }>(
      `SELECT e.source_name AS g, ${sql.jsonText('e.payload', 'error')} AS error, e.time_ms AS t, e.run_id FROM events e JOIN (SELECT source_name, MAX(seq) AS s FROM events WHERE ${inWindow} AND type = 'task.failed' AND source_kind = 'agent' GROUP BY source_name) m ON e.seq = m.s`, w),
    sql.all<{ id: string }>(`SELECT id FROM runs WHERE status = 'running' ORDER BY started_seq DESC LIMIT ${RUNNING_RUNS_READ}`),
  ]);
  const inFlight = await openTasksByAgent(log, running.map((r) => r.id));

  const counts = new Map<string, { completed: number; failed: number; last: number | null }>();
  const c = (g: string) => {
    let x = counts.get(g);
    if (!x) counts.set(g, (x = { completed: 0, failed: 0, last: null }));
    return x;
  };
  const later = (a: number | null, b: unknown) => (numOrNull(b) === null ? a : Math.max(a ?? 0, num(b)));
  for (const r of results) {
    const x = c(r.g);
    if (r.type === 'task.completed') x.completed = num(r.n);
    else x.failed = num(r.n);
    x.last = later(x.last, r.last);
  }
  for (const r of dispatched) if (r.g) c(r.g).last = later(c(r.g).last, r.last);
  const lat = new Map(latencies.map((r) => [r.g, r]));
  const lastFailed = new Set(lastResults.filter((r) => r.type === 'task.failed').map((r) => r.g));
  const errors = new Map(lastErrors.map((r) => [r.g, r]));

  return input.agents.map(({ name, kind }): AgentHealth => {
    const x = counts.get(name) ?? { completed: 0, failed: 0, last: null };
    const beat = kind === 'sdk' ? (input.lastHeartbeat?.(name)?.getTime() ?? null) : null;
    const beatInWindow = beat !== null && beat >= since ? beat : null;
    const lastSeenMs = x.last === null ? beatInWindow : beatInWindow === null ? x.last : Math.max(x.last, beatInWindow);
    const answered = x.completed + x.failed;
    const successRate = answered > 0 ? x.completed / answered : null;
    const l = lat.get(name);
    const e = errors.get(name);
    let status: AgentHealthStatus = 'online';
    let reason = successRate === null ? 'tasks dispatched, no result yet' : `${Math.round(successRate * 100)} % of ${answered} tasks succeeded`;
    if (x.last === null && beatInWindow === null) {
      status = 'offline';
      reason = kind === 'sdk' ? 'no task and no heartbeat in the last hour' : 'no task in the last hour';
    } else if (x.last === null) {
      reason = 'heartbeating, no task in the last hour';
    } else if (successRate !== null && successRate < DEGRADED_BELOW) {
      status = 'degraded';
      reason = `only ${Math.round(successRate * 100)} % of ${answered} tasks succeeded`;
    } else if (lastFailed.has(name)) {
      status = 'degraded';
      reason = 'its last task failed';
    }
    return {
      agent: name, status, reason, lastSeenMs, inFlight: inFlight.get(name) ?? 0, completed: x.completed, failed: x.failed, successRate,
      p50: numOrNull(l?.p50), p95: numOrNull(l?.p95),
      lastError: e ? { message: e.error ?? 'failed', atMs: num(e.t), runId: e.run_id } : null,
    };
  });
}

/** For running runs: how many dispatches per agent have no result (completed, failed or stale) yet. */
async function openTasksByAgent(log: EventLog, runIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (runIds.length === 0) return out;
  const sql = logQueries(log);
  const open = new Map<string, string>(); // `${run}|${node}#${attempt}` → agent
  for (let i = 0; i < runIds.length; i += 500) {
    const ids = runIds.slice(i, i + 500);
    const rows = await sql.all<{ run_id: string; type: string; node: string | null; attempt: unknown; agent: string | null }>(
      `SELECT run_id, type, ${sql.jsonText('payload', 'nodeId')} AS node, ${sql.jsonNumber('payload', 'attempt')} AS attempt, ${sql.jsonText('payload', 'agent')} AS agent
       FROM events WHERE run_id IN (${ids.map(() => '?').join(', ')}) AND type IN ('task.dispatched', 'task.completed', 'task.failed', 'task.stale') ORDER BY seq`,
      ids,
    );
    for (const r of rows) {
      const k = `${r.run_id}|${r.node}#${num(r.attempt)}`;
      if (r.type === 'task.dispatched') open.set(k, r.agent ?? '?');
      else open.delete(k);
    }
  }
  for (const agent of open.values()) out.set(agent, (out.get(agent) ?? 0) + 1);
  return out;
}
