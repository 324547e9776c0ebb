/**
 * Read-only SQL over the spine's own database, for the dashboard's queries that the EventLog interface
 * does not offer (timeline filters, run listings with sorting, metrics). It takes the log and switches on
 * `log.dialect`: SQLite through the log's better-sqlite3 connection, PostgreSQL through its pool. It
 * never writes: the log's writer stays the only writer.
 *
 * Statements use `?` placeholders; PostgreSQL gets them numbered. The few places where the dialects
 * differ (JSON access, case-insensitive match, regex) go through `Dialect` helpers, so each query is
 * written once.
 */
import type { Statement } from 'better-sqlite3';
import type { EventLog } from '@/server/spine';
import type { SqliteEventLog } from '@/server/spine/log/sqliteEventLog';
import type { PostgresEventLog } from '@/server/spine/log/postgresEventLog';

export type Row = Record<string, unknown>;

export type Sql = {
  readonly dialect: 'sqlite' | 'postgresql';
  all<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: unknown[]): Promise<T | undefined>;
  /** `payload` field as text: `json_extract(payload, '$.a')` / `(payload::jsonb ->> 'a')`. */
  jsonText(column: string, field: string): string;
  /** The same field as a number. */
  jsonNumber(column: string, field: string): string;
  /** Case-insensitive substring match with `?` bound to the pattern built by `likePattern`. */
  ilike(column: string): string;
  /** Regex match with `?` bound to a JS-compatible regex source. */
  regexp(column: string): string;
};

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

function field(name: string): string {
  // Field names are constants in our queries; refuse anything else rather than quoting it.
  if (!FIELD.test(name)) throw new Error(`bad JSON field name '${name}'`);
  return name;
}

/** `%text%` with LIKE wildcards in `text` escaped (ESCAPE '\'). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const cache = new WeakMap<EventLog, Sql>();

/** The read-only SQL runner over a log's database (one per log). */
export function sqlOf(log: EventLog): Sql {
  let s = cache.get(log);
  if (!s) {
    s = create(log);
    cache.set(log, s);
  }
  return s;
}

function create(log: EventLog): Sql {
  switch (log.dialect) {
    case 'sqlite': {
      // The dialect tells which implementation this is; the connection is the log's own.
      const db = (log as SqliteEventLog).database;
      const stmts = new Map<string, Statement<unknown[]>>();
      const prepare = (sql: string) => {
        let st = stmts.get(sql);
        if (!st) {
          st = db.prepare<unknown[]>(sql);
          if (stmts.size > 200) stmts.clear();
          stmts.set(sql, st);
        }
        return st;
      };
      return {
        dialect: 'sqlite',
        all: async <T>(sql: string, params: unknown[] = []) => prepare(sql).all(...params) as T[],
        get: async <T>(sql: string, params: unknown[] = []) => prepare(sql).get(...params) as T | undefined,
        jsonText: (c, f) => `json_extract(${c}, '$.${field(f)}')`,
        jsonNumber: (c, f) => `CAST(json_extract(${c}, '$.${field(f)}') AS REAL)`,
        ilike: (c) => `${c} LIKE ? ESCAPE '\\'`,
        regexp: (c) => `${c} REGEXP ?`,
      };
    }
    case 'postgresql': {
      const pool = (log as PostgresEventLog).pool;
      return {
        dialect: 'postgresql',
        all: async <T>(sql: string, params: unknown[] = []) => (await pool.query(numbered(sql), params)).rows as T[],
        get: async <T>(sql: string, params: unknown[] = []) => (await pool.query(numbered(sql), params)).rows[0] as T | undefined,
        jsonText: (c, f) => `(${c}::jsonb ->> '${field(f)}')`,
        jsonNumber: (c, f) => `((${c}::jsonb ->> '${field(f)}')::double precision)`,
        ilike: (c) => `${c} ILIKE ? ESCAPE '\\'`,
        regexp: (c) => `${c} ~ ?`,
      };
    }
  }
}

/** Numbers from either driver (BIGINT may arrive as string or bigint). */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : v === null || v === undefined ? 0 : Number(v);
}
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
