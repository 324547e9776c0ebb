/**
 * The read-only query port: SQL over the log's own database for readers whose questions the EventLog
 * methods do not answer (the dashboard's timeline filters, run listings and metrics; audit exports and
 * checks). Statements use `?` placeholders and the dialect's helpers for the few pieces that differ, so a
 * reader writes each query once and never learns which driver runs it.
 *
 * Invariant: it never writes; the log's writer stays the only writer. A statement that is not a single
 * SELECT (or WITH … SELECT) is refused before it reaches the database, and the database refuses the rest:
 * on SQLite the prepared statement must be one SQLite reports as read-only, on PostgreSQL the port's own
 * pool opens sessions with `default_transaction_read_only=on` (so a data-modifying CTE or a SELECT of a
 * writing function fails there too).
 */
import type { DialectName, SqlDialect } from './dialect';

export type Row = Record<string, unknown>;

export type LogQueries = {
  readonly dialect: DialectName;
  all<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: unknown[]): Promise<T | undefined>;
} & Pick<SqlDialect, 'jsonText' | 'jsonNumber' | 'jsonArrayElements' | 'ilike' | 'regexp'>;

const SINGLE_SELECT = /^\s*(SELECT|WITH)\b[^;]*$/i;

/** Refuses anything but one SELECT statement (see the file comment). */
export function assertReadOnly(sql: string): void {
  if (!SINGLE_SELECT.test(sql)) throw new Error(`spine: the query port runs single SELECT statements only: ${sql.slice(0, 80)}`);
}

/** The port over a dialect and a runner that executes one read (placeholders still `?`). */
export function queriesOver(d: SqlDialect, run: (sql: string, params: unknown[]) => Promise<Row[]>): LogQueries {
  const read = (sql: string, params: unknown[]) => {
    assertReadOnly(sql);
    return run(sql, params);
  };
  return {
    dialect: d.name,
    all: async <T>(sql: string, params: unknown[] = []) => (await read(sql, params)) as T[],
    get: async <T>(sql: string, params: unknown[] = []) => (await read(sql, params))[0] as T | undefined,
    jsonText: d.jsonText,
    jsonNumber: d.jsonNumber,
    jsonArrayElements: d.jsonArrayElements,
    ilike: d.ilike,
    regexp: d.regexp,
  };
}

/**
 * The query port of a log. Only logs on a database have one; the memory log (specs) does not.
 * @example const rows = await logQueries(spine.log).all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ?`, [runId]);
 */
export function logQueries(log: { readonly dialect: string; readonly queries: LogQueries | null }): LogQueries {
  if (!log.queries) throw new Error(`spine: the ${log.dialect} log has no SQL to query`);
  return log.queries;
}

/** Numbers from either driver (BIGINT may arrive as string or bigint). */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : v === null || v === undefined ? 0 : Number(v);
}
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
