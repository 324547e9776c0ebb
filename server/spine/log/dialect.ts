/**
 * The one place where SQLite and PostgreSQL SQL differ. Every statement of the logs (sqlEventLog.ts) and of
 * the read-only query port (queries.ts) is written once, with `?` placeholders, and goes through a dialect
 * for the few pieces that are not the same text on both databases: placeholder numbering, JSON access,
 * case-insensitive and regex matches, "any of these values", the head-row lock and the batch insert.
 *
 * Invariant: a dialect only spells SQL; it never runs it. Drivers (better-sqlite3, pg) stay in the two
 * concrete logs, so this file is pure and the same statement text reaches either database.
 */
import type { StoredRow } from './sequencer';
import { EVENT_COLUMNS } from './rows';

export type DialectName = 'sqlite' | 'postgresql';

/** One SQL statement with `?` placeholders and its parameters. */
export type Stmt = { sql: string; params: unknown[] };

export type SqlDialect = {
  readonly name: DialectName;
  /** `?` placeholders as the driver takes them: unchanged on SQLite, `$1, $2, …` on PostgreSQL. */
  placeholders(sql: string): string;
  /** A JSON field of a text column, as text: `json_extract(c, '$.f')` / `(c::jsonb ->> 'f')`. */
  jsonText(column: string, field: string): string;
  /** The same field as a number. */
  jsonNumber(column: string, field: string): string;
  /** The elements of a JSON array field as a table `alias` with one text column `value` (for `CROSS JOIN`). */
  jsonArrayElements(column: string, field: string, alias: string): string;
  /** Case-insensitive substring match, `?` bound to a pattern from `likePattern`. */
  ilike(column: string): string;
  /** Regex match, `?` bound to a JS-compatible regex source (`typePatternToRegex`). */
  regexp(column: string): string;
  /**
   * `<select> WHERE column = any of values`, as the statements to run: one per value on SQLite (each the
   * same prepared statement), one with an array parameter on PostgreSQL.
   */
  whereAny(select: string, column: string, values: readonly string[]): Stmt[];
  /** Reads the head row; on PostgreSQL it also takes the row lock that serializes every writer (the sequencer). */
  readonly lockHead: string;
  /** Inserts sequenced rows into `events`: one prepared statement per row on SQLite, one `unnest` on PostgreSQL. */
  insertEvents(rows: readonly StoredRow[]): Stmt[];
};

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

function field(name: string): string {
  // Field names are constants in our queries; refuse anything else rather than quoting it.
  if (!FIELD.test(name)) throw new Error(`bad JSON field name '${name}'`);
  return name;
}

/** `%text%` with LIKE wildcards in `text` escaped (for `ilike`, which says ESCAPE '\'). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The column order of EVENT_COLUMNS. */
export function eventParams(r: StoredRow): unknown[] {
  return [r.seq, r.id, r.type, r.key, r.runId, r.causationId, r.sourceKind, r.sourceName, r.timeMs, r.envelopeVersion, r.payload, r.idempotencyKey, r.prevHash, r.hash];
}

const HEAD = 'SELECT seq, hash FROM spine_head WHERE id = 1';
const INSERT_EVENT = `INSERT INTO events (${EVENT_COLUMNS}) VALUES (${EVENT_COLUMNS.split(',').map(() => '?').join(', ')})`;
const EVENT_TYPES = ['bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'int', 'text', 'text', 'text', 'text'];
const UNNEST_EVENTS = `INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM unnest(${EVENT_TYPES.map((t) => `?::${t}[]`).join(', ')})`;

export const sqlite: SqlDialect = {
  name: 'sqlite',
  placeholders: (sql) => sql,
  jsonText: (c, f) => `json_extract(${c}, '$.${field(f)}')`,
  jsonNumber: (c, f) => `CAST(json_extract(${c}, '$.${field(f)}') AS REAL)`,
  jsonArrayElements: (c, f, alias) => `json_each(${c}, '$.${field(f)}') ${alias}`,
  ilike: (c) => `${c} LIKE ? ESCAPE '\\'`,
  regexp: (c) => `${c} REGEXP ?`,
  // Many values go as one JSON array parameter (one statement, one prepared text whatever their number).
  whereAny: (select, column, values) =>
    values.length > 1 ? [{ sql: `${select} WHERE ${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(values)] }] : values.map((v) => ({ sql: `${select} WHERE ${column} = ?`, params: [v] })),
  lockHead: HEAD,
  insertEvents: (rows) => rows.map((r) => ({ sql: INSERT_EVENT, params: eventParams(r) })),
};

export const postgresql: SqlDialect = {
  name: 'postgresql',
  placeholders: (sql) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  },
  jsonText: (c, f) => `(${c}::jsonb ->> '${field(f)}')`,
  jsonNumber: (c, f) => `((${c}::jsonb ->> '${field(f)}')::double precision)`,
  jsonArrayElements: (c, f, alias) => `jsonb_array_elements_text(${c}::jsonb -> '${field(f)}') AS ${alias}(value)`,
  ilike: (c) => `${c} ILIKE ? ESCAPE '\\'`,
  regexp: (c) => `${c} ~ ?`,
  whereAny: (select, column, values) => (values.length ? [{ sql: `${select} WHERE ${column} = ANY(?::text[])`, params: [values] }] : []),
  lockHead: `${HEAD} FOR UPDATE`,
  insertEvents(rows) {
    if (rows.length === 0) return [];
    const cols: unknown[][] = EVENT_TYPES.map(() => []);
    for (const r of rows) eventParams(r).forEach((x, i) => cols[i]!.push(x));
    return [{ sql: UNNEST_EVENTS, params: cols }];
  },
};

export const DIALECTS: Record<DialectName, SqlDialect> = { sqlite, postgresql };
