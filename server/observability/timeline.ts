/**
 * The timeline's queries: every event, newest first, under a filter (type patterns, run, workflow, entity
 * key, agent, source kind, time range, free text), read as a snapshot that does not move while you scroll.
 *
 * A view starts with `timelineSnapshot`: the head seq it is taken at (`topSeq`) and how many events
 * match up to it. Rows are then addressed by their offset from the top of that snapshot
 * (`timelineWindow`), so a virtualized list can fetch any stretch of 100,000 rows in any order, and
 * events committed later (pushed live) never shift what an offset means. Without a filter the log's
 * gapless seq does the addressing (offset k is seq topSeq − k, an index range read); with a filter the
 * database counts. A time range is first turned into a seq range (`seqAtTime`: seq is commit-ordered and
 * so is commit time), so it narrows the scan rather than adding one.
 *
 * `matchesTimelineFilter` is the same filter in memory, for the live tail; the two are tested against
 * each other on both databases.
 */
import { z } from 'zod';
import {
  EVENT_COLUMNS, SOURCE_KINDS, TypePattern, canonicalJson, likePattern, logQueries, matchesType, num, rowToEvent, typePatternToRegex,
  type DbRow, type EventLog, type LogQueries, type SpineEvent,
} from '@/server/spine';

export const TimelineFilter = z
  .object({
    /** Type patterns; `*` matches one segment, a trailing `*` one or more. */
    types: z.array(TypePattern).max(32).optional(),
    runId: z.string().min(1).max(128).optional(),
    workflowId: z.string().min(1).max(128).optional(),
    key: z.string().min(1).max(256).optional(),
    /** Events by this agent, and tasks dispatched to it. */
    agent: z.string().min(1).max(128).optional(),
    sourceKind: z.enum(SOURCE_KINDS).optional(),
    /** Commit time range, epoch milliseconds, inclusive. */
    fromMs: z.number().int().min(0).optional(),
    toMs: z.number().int().min(0).optional(),
    /** Case-insensitive substring of the payload, type, key or source name. */
    text: z.string().min(1).max(200).optional(),
  })
  .strict();
export type TimelineFilter = z.infer<typeof TimelineFilter>;

export const MAX_WINDOW = 500;

export function isEmptyFilter(f: TimelineFilter): boolean {
  return !f.types?.length && !f.runId && !f.workflowId && !f.key && !f.agent && !f.sourceKind && f.fromMs === undefined && f.toMs === undefined && !f.text;
}

/** True when only the seq range narrows the view, so offsets map to seqs directly. */
function onlyTime(f: TimelineFilter): boolean {
  return isEmptyFilter({ ...f, fromMs: undefined, toMs: undefined });
}

/**
 * The first seq committed at or after `ms` (or head + 1 if none), by binary search over seq. Commit time
 * follows seq (each batch takes the clock when it commits, in seq order); a clock stepping back only
 * blurs the boundary, and the exact time predicate in the query still holds.
 */
export async function seqAtTime(log: EventLog, ms: number, knownHead?: number): Promise<number> {
  const sql = logQueries(log);
  const head = knownHead ?? (await log.head());
  let lo = 1;
  let hi = head + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = await sql.get<{ seq: unknown; time_ms: unknown }>('SELECT seq, time_ms FROM events WHERE seq >= ? ORDER BY seq LIMIT 1', [mid]);
    if (!row) hi = mid;
    else if (num(row.time_ms) >= ms) hi = mid;
    else lo = num(row.seq) + 1;
  }
  return lo;
}

type Where = { clauses: string[]; params: unknown[] };

/** SQL conditions for a filter, plus a seq range from its time range. */
export async function filterWhere(log: EventLog, f: TimelineFilter): Promise<Where & { minSeq: number; maxSeq: number | null }> {
  const sql = logQueries(log);
  const w: Where = { clauses: [], params: [] };
  let minSeq = 1;
  let maxSeq: number | null = null;
  if (f.fromMs !== undefined) {
    minSeq = await seqAtTime(log, f.fromMs);
    w.clauses.push('time_ms >= ?');
    w.params.push(f.fromMs);
  }
  if (f.toMs !== undefined) {
    maxSeq = (await seqAtTime(log, f.toMs + 1)) - 1;
    w.clauses.push('time_ms <= ?');
    w.params.push(f.toMs);
  }
  addFilterClauses(sql, f, w);
  return { ...w, minSeq, maxSeq };
}

function addFilterClauses(sql: LogQueries, f: TimelineFilter, w: Where) {
  if (f.types?.length) {
    const exact = f.types.filter((t) => !t.includes('*'));
    const wild = f.types.filter((t) => t.includes('*'));
    const ors: string[] = [];
    if (exact.length) {
      ors.push(`type IN (${exact.map(() => '?').join(', ')})`);
      w.params.push(...exact);
    }
    for (const p of wild) {
      ors.push(sql.regexp('type'));
      w.params.push(typePatternToRegex(p));
    }
    w.clauses.push(`(${ors.join(' OR ')})`);
  }
  if (f.runId) {
    w.clauses.push('run_id = ?');
    w.params.push(f.runId);
  }
  if (f.workflowId) {
    w.clauses.push('run_id IN (SELECT id FROM runs WHERE workflow_id = ?)');
    w.params.push(f.workflowId);
  }
  if (f.key) {
    w.clauses.push('key = ?');
    w.params.push(f.key);
  }
  if (f.sourceKind) {
    w.clauses.push('source_kind = ?');
    w.params.push(f.sourceKind);
  }
  if (f.agent) {
    w.clauses.push(`((source_kind = 'agent' AND source_name = ?) OR (type = 'task.dispatched' AND ${sql.jsonText('payload', 'agent')} = ?))`);
    w.params.push(f.agent, f.agent);
  }
  if (f.text) {
    const cols = ['payload', 'type', 'key', 'source_name'];
    w.clauses.push(`(${cols.map((c) => sql.ilike(c)).join(' OR ')})`);
    w.params.push(...cols.map(() => likePattern(f.text!)));
  }
}

export type TimelineSnapshot = { topSeq: number; total: number; /** The first `firstLimit` rows, so a view paints with one round trip. */ first: SpineEvent[] };

/** The head the view is anchored at, how many events match up to it, and its first rows. */
export async function timelineSnapshot(log: EventLog, f: TimelineFilter, firstLimit = 0): Promise<TimelineSnapshot> {
  const topSeq = await log.head();
  const first = firstLimit > 0 ? await timelineWindow(log, f, topSeq, 0, firstLimit) : [];
  if (isEmptyFilter(f)) return { topSeq, total: topSeq, first };
  const w = await filterWhere(log, f);
  const top = w.maxSeq === null ? topSeq : Math.min(topSeq, w.maxSeq);
  if (onlyTime(f)) return { topSeq, total: Math.max(0, top - w.minSeq + 1), first };
  // Fewer rows than asked for: that is all of them, no count needed.
  if (first.length < firstLimit) return { topSeq, total: first.length, first };
  const row = await logQueries(log).get<{ n: unknown }>(
    `SELECT count(*) AS n FROM events WHERE seq >= ? AND seq <= ?${w.clauses.map((c) => ` AND ${c}`).join('')}`,
    [w.minSeq, top, ...w.params],
  );
  return { topSeq, total: num(row?.n), first };
}

/** Rows `offset … offset + limit − 1` of the snapshot at `topSeq`, newest first. */
export async function timelineWindow(log: EventLog, f: TimelineFilter, topSeq: number, offset: number, limit: number): Promise<SpineEvent[]> {
  const sql = logQueries(log);
  const n = Math.min(limit, MAX_WINDOW);
  if (isEmptyFilter(f) || onlyTime(f)) {
    const w = isEmptyFilter(f) ? { minSeq: 1, maxSeq: null } : await filterWhere(log, f);
    const top = (w.maxSeq === null ? topSeq : Math.min(topSeq, w.maxSeq)) - offset;
    const rows = await sql.all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq <= ? AND seq >= ? ORDER BY seq DESC LIMIT ?`, [top, w.minSeq, n]);
    return rows.map(rowToEvent);
  }
  const w = await filterWhere(log, f);
  const top = w.maxSeq === null ? topSeq : Math.min(topSeq, w.maxSeq);
  const rows = await sql.all<DbRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= ? AND seq <= ?${w.clauses.map((c) => ` AND ${c}`).join('')} ORDER BY seq DESC LIMIT ? OFFSET ?`,
    [w.minSeq, top, ...w.params, n, offset],
  );
  return rows.map(rowToEvent);
}

/**
 * Where `seq` sits in the snapshot: the offset of the newest matching event at or below it (so a jump to
 * a seq the filter hides lands next to where it would be), and that event's seq.
 */
export async function timelineLocate(log: EventLog, f: TimelineFilter, topSeq: number, seq: number): Promise<{ offset: number; seq: number | null }> {
  const sql = logQueries(log);
  const target = Math.min(seq, topSeq);
  if (isEmptyFilter(f)) {
    const row = await sql.get<{ seq: unknown }>('SELECT seq FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1', [target]);
    return { offset: topSeq - target, seq: row ? num(row.seq) : null };
  }
  const w = await filterWhere(log, f);
  const top = w.maxSeq === null ? topSeq : Math.min(topSeq, w.maxSeq);
  const where = w.clauses.map((c) => ` AND ${c}`).join('');
  const above = await sql.get<{ n: unknown }>(`SELECT count(*) AS n FROM events WHERE seq > ? AND seq <= ? AND seq >= ?${where}`, [target, top, w.minSeq, ...w.params]);
  const at = await sql.get<{ seq: unknown }>(`SELECT seq FROM events WHERE seq <= ? AND seq >= ?${where} ORDER BY seq DESC LIMIT 1`, [target, w.minSeq, ...w.params]);
  return { offset: num(above?.n), seq: at ? num(at.seq) : null };
}

/** Looks up which workflow a run belongs to (for the live tail's workflow filter). */
export type WorkflowOfRun = (runId: string) => Promise<string | null>;

/** The same filter in memory, for events pushed live. Mirrors `filterWhere`. */
export async function matchesTimelineFilter(f: TimelineFilter, e: SpineEvent, workflowOf: WorkflowOfRun): Promise<boolean> {
  if (f.types?.length && !f.types.some((p) => matchesType(p, e.type))) return false;
  if (f.runId && e.runId !== f.runId) return false;
  if (f.key && e.key !== f.key) return false;
  if (f.sourceKind && e.source.kind !== f.sourceKind) return false;
  const ms = Date.parse(e.time);
  if (f.fromMs !== undefined && ms < f.fromMs) return false;
  if (f.toMs !== undefined && ms > f.toMs) return false;
  if (f.agent) {
    const byAgent = e.source.kind === 'agent' && e.source.name === f.agent;
    const toAgent = e.type === 'task.dispatched' && typeof e.payload === 'object' && e.payload !== null && !Array.isArray(e.payload) && e.payload.agent === f.agent;
    if (!byAgent && !toAgent) return false;
  }
  if (f.text) {
    const needle = f.text.toLowerCase();
    const hay = [canonicalJson(e.payload), e.type, e.key ?? '', e.source.name];
    if (!hay.some((h) => h.toLowerCase().includes(needle))) return false;
  }
  if (f.workflowId) {
    if (!e.runId || (await workflowOf(e.runId)) !== f.workflowId) return false;
  }
  return true;
}

/** A cached run → workflow lookup over the run index. */
export function workflowLookup(log: EventLog): WorkflowOfRun {
  const cache = new Map<string, string | null>();
  return async (runId) => {
    if (cache.has(runId)) return cache.get(runId)!;
    const run = await log.getRun(runId);
    const id = run?.workflowId ?? null;
    if (cache.size > 10_000) cache.clear();
    // A run not indexed yet may be indexed later; only remember hits.
    if (id) cache.set(runId, id);
    return id;
  };
}
