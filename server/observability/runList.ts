/**
 * The run list: the run index joined with workflow names, filtered and sorted on the database, a page at
 * a time with the total. What a running run waits on is read from its open task dispatches (the index
 * records waits on approvals, timers and entity keys; agent work is in flight, not waiting, so it is
 * derived here for the rows shown only).
 *
 * Two ways to page: by `offset` (the dashboard's numbered pages, any sort) or by keyset (`beforeSeq`: runs
 * started before that seq, newest first; what API v1 hands out as an opaque cursor). A keyset page is
 * stable while runs start: a new run has a higher start seq than every run already listed, so it never
 * shifts a later page.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { RUN_COLUMNS, RUN_STATUSES, logQueries, num, runFromRow, type EventLog, type RunDbRow, type RunStatus, type WaitingOn } from '@/server/spine';

export const RUN_SORTS = ['started', 'updated', 'duration', 'status', 'workflow'] as const;
export type RunSort = (typeof RUN_SORTS)[number];

export const RunListQuery = z
  .object({
    statuses: z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length).optional(),
    workflowId: z.string().min(1).max(128).optional(),
    key: z.string().min(1).max(256).optional(),
    startedBy: z.string().min(1).max(128).optional(),
    /** A run id or the start of one. */
    runId: z.string().min(1).max(128).optional(),
    /** Started at or after this instant (epoch ms). */
    startedAfterMs: z.number().int().min(0).optional(),
    /** Started before this instant (epoch ms). */
    startedBeforeMs: z.number().int().min(0).optional(),
    /** Keyset: only runs whose `run.started` seq is below this one (with the `started` sort, newest first). */
    beforeSeq: z.number().int().min(1).optional(),
    /** Count the matching runs on all pages (`total`); a keyset reader may skip it (`total` is then -1). @default true */
    withTotal: z.boolean().default(true),
    /** @default 'started' */
    sort: z.enum(RUN_SORTS).default('started'),
    /** @default 'desc' */
    dir: z.enum(['asc', 'desc']).default('desc'),
    offset: z.number().int().min(0).max(10_000_000).default(0),
    /** @default 50 */
    limit: z.number().int().min(1).max(500).default(50),
  })
  .strict();
export type RunListQuery = z.input<typeof RunListQuery>;

export type RunListRow = {
  id: string;
  workflowId: string;
  workflowSlug: string | null;
  workflowName: string | null;
  version: number;
  status: RunStatus;
  key: string | null;
  startedBy: string | null;
  startedAtMs: number;
  updatedAtMs: number;
  endedAtMs: number | null;
  startedSeq: number;
  lastSeq: number;
  /** Approval, timer or key (from the index), or the agents with work in flight. */
  waitingOn: { kind: 'approval' | 'timer' | 'key' | 'agent' | 'other'; label: string }[];
  error: string | null;
};

export type RunList = { total: number; rows: RunListRow[]; asOfMs: number };

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listRuns(log: EventLog, raw: RunListQuery, nowMs = Date.now()): Promise<RunList> {
  const q = RunListQuery.parse(raw);
  const sql = logQueries(log);
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.statuses?.length) {
    where.push(`r.status IN (${q.statuses.map(() => '?').join(', ')})`);
    params.push(...q.statuses);
  }
  if (q.workflowId) {
    where.push('r.workflow_id = ?');
    params.push(q.workflowId);
  }
  if (q.key) {
    where.push('r.key = ?');
    params.push(q.key);
  }
  if (q.startedBy) {
    where.push('r.started_by = ?');
    params.push(q.startedBy);
  }
  if (q.runId) {
    where.push(`r.id LIKE ? ESCAPE '\\'`);
    params.push(`${likeEscape(q.runId)}%`);
  }
  if (q.startedAfterMs !== undefined) {
    where.push('r.started_at_ms >= ?');
    params.push(q.startedAfterMs);
  }
  if (q.startedBeforeMs !== undefined) {
    where.push('r.started_at_ms < ?');
    params.push(q.startedBeforeMs);
  }
  if (q.beforeSeq !== undefined) {
    if (q.sort !== 'started' || q.dir !== 'desc' || q.offset !== 0) throw new ValidationError('runs.invalid_query', 'beforeSeq pages the newest-first list only (sort started, dir desc, no offset)');
    where.push('r.started_seq < ?');
    params.push(q.beforeSeq);
  }
  const whereSql = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const dir = q.dir === 'asc' ? 'ASC' : 'DESC';
  const order = {
    started: `r.started_seq ${dir}`,
    updated: `r.updated_at_ms ${dir}, r.started_seq ${dir}`,
    duration: `(COALESCE(r.ended_at_ms, ?) - r.started_at_ms) ${dir}, r.started_seq DESC`,
    status: `r.status ${dir}, r.started_seq DESC`,
    workflow: `COALESCE(w.name, r.workflow_id) ${dir}, r.version ${dir}, r.started_seq DESC`,
  }[q.sort];
  const orderParams = q.sort === 'duration' ? [nowMs] : [];
  const cols = RUN_COLUMNS.split(',').map((c) => `r.${c.trim()}`).join(', ');
  const [count, rows] = await Promise.all([
    q.withTotal ? sql.get<{ n: unknown }>(`SELECT count(*) AS n FROM runs r${whereSql}`, params) : Promise.resolve({ n: -1 }),
    sql.all<RunDbRow & { w_slug: string | null; w_name: string | null }>(
      `SELECT ${cols}, w.slug AS w_slug, w.name AS w_name FROM runs r LEFT JOIN workflows w ON w.id = r.workflow_id${whereSql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      [...params, ...orderParams, q.limit, q.offset],
    ),
  ]);
  const running = rows.filter((r) => r.status === 'running').map((r) => r.id);
  const agents = await agentsAtWork(log, running);
  return {
    total: num(count?.n),
    asOfMs: nowMs,
    rows: rows.map((row) => {
      const r = runFromRow(row);
      return {
        id: r.id, workflowId: r.workflowId, workflowSlug: row.w_slug, workflowName: row.w_name, version: r.version, status: r.status, key: r.key,
        startedBy: r.startedBy, startedAtMs: r.startedAtMs, updatedAtMs: r.updatedAtMs, endedAtMs: r.endedAtMs, startedSeq: r.startedSeq, lastSeq: r.lastSeq,
        waitingOn: r.status === 'running' ? (agents.get(r.id) ?? []).map((a) => ({ kind: 'agent' as const, label: a })) : waitingOf(r.waitingOn),
        error: r.error,
      };
    }),
  };
}

/** The index's waits as the list shows them: labelled by node id or key (by the kind when it names none). */
export function waitingOf(waits: readonly WaitingOn[]): RunListRow['waitingOn'] {
  return waits.map((w) => ({ kind: w.kind, label: w.id || w.kind }));
}

/** For running runs: the agents whose latest dispatch has no result yet. */
export async function agentsAtWork(log: EventLog, runIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (runIds.length === 0) return out;
  const sql = logQueries(log);
  const rows = await sql.all<{ run_id: string; type: string; node: string | null; attempt: unknown; agent: string | null }>(
    `SELECT run_id, type, ${sql.jsonText('payload', 'nodeId')} AS node, ${sql.jsonNumber('payload', 'attempt')} AS attempt, ${sql.jsonText('payload', 'agent')} AS agent
     FROM events WHERE run_id IN (${runIds.map(() => '?').join(', ')}) AND type IN ('task.dispatched', 'task.completed', 'task.failed', 'task.stale') ORDER BY seq`,
    runIds,
  );
  const open = new Map<string, Map<string, string>>(); // run → `${node}#${attempt}` → agent
  for (const r of rows) {
    const m = open.get(r.run_id) ?? new Map<string, string>();
    open.set(r.run_id, m);
    const k = `${r.node}#${num(r.attempt)}`;
    if (r.type === 'task.dispatched') m.set(k, r.agent ?? r.node ?? '?');
    else m.delete(k);
  }
  for (const [runId, m] of open) if (m.size) out.set(runId, [...new Set(m.values())]);
  return out;
}

/** Workflows that have runs, for the filter menu. */
export async function workflowsWithRuns(log: EventLog): Promise<{ id: string; slug: string | null; name: string | null; runs: number }[]> {
  const rows = await logQueries(log).all<{ id: string; slug: string | null; name: string | null; n: unknown }>(
    'SELECT r.workflow_id AS id, w.slug AS slug, w.name AS name, count(*) AS n FROM runs r LEFT JOIN workflows w ON w.id = r.workflow_id GROUP BY r.workflow_id, w.slug, w.name ORDER BY w.name',
  );
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, runs: num(r.n) }));
}

/** People (or systems) that started runs, for the filter menu. */
export async function runStarters(log: EventLog): Promise<string[]> {
  const rows = await logQueries(log).all<{ s: string }>('SELECT DISTINCT started_by AS s FROM runs WHERE started_by IS NOT NULL ORDER BY started_by LIMIT 200');
  return rows.map((r) => r.s);
}

