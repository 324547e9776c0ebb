/**
 * What the SQLite and PostgreSQL logs share, written once: the batch commit, reads, chain verification,
 * envelopes, the run index and consumer offsets, all as `?`-placeholder SQL through a dialect (dialect.ts).
 * The two concrete logs are thin: a driver, how a transaction is opened, and where blobs live.
 *
 * The commit of a group-commit batch is `commitSteps`, a generator of statements that each log drives with
 * its own driver inside its own transaction: synchronously on SQLite (one `BEGIN IMMEDIATE` transaction
 * that no other statement on the connection can interleave with), with awaits on PostgreSQL (one pooled
 * client between BEGIN and COMMIT). The steps are the sequencer's order:
 *
 *   lock head row → read idempotency keys, envelopes, run rows → planBatch → insert rows, upsert envelopes
 *   and run rows → move head
 *
 * so the guarantees of README.md (gapless, commit-ordered seq; a refused submission consumes none) hold on
 * both databases by the same code.
 */
import { HISTORY_LIMIT, type Envelope } from '../envelope';
import type { EventFilter, SpineEvent } from '../events';
import { blobRefOf, type BlobRef } from '../blobs';
import type { RunIndexRow } from '../runIndex';
import { BaseEventLog, typePatternToRegex, type LogOptions, type ReadQuery } from './eventLog';
import type { SqlDialect, Stmt } from './dialect';
import { ChainVerifier, GENESIS_HASH, verdict, type VerifyResult } from './hashChain';
import { queriesOver, type LogQueries, type Row } from './queries';
import {
  ENVELOPE_COLUMNS, EVENT_COLUMNS, RUN_COLUMNS, RUN_UPSERT_SET, envelopeFromRow, envelopeToParams, runFromRow, runListSql, runToParams, toStoredRow, withHistory,
  type DbRow, type EnvelopeRow, type HistoryRow, type RunDbRow, type RunQuery, type StoredEnvelope,
} from './rows';
import { keysNeeded, planBatch, type BatchPlan, type PreparedEvent } from './sequencer';

const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');

const MOVE_HEAD = 'UPDATE spine_head SET seq = ?, hash = ? WHERE id = 1';
const UPSERT_ENVELOPE = `INSERT INTO envelopes (${ENVELOPE_COLUMNS}) VALUES (${list(8)})
  ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, version = excluded.version, updated_seq = excluded.updated_seq`;
const UPSERT_RUN = `INSERT INTO runs (${RUN_COLUMNS}) VALUES (${list(RUN_COLUMNS.split(',').length)}) ON CONFLICT (id) DO UPDATE SET ${RUN_UPSERT_SET}`;
const SAVE_OFFSET = `INSERT INTO consumers (name, "offset", filter, updated_ms) VALUES (?, ?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET "offset" = excluded."offset", filter = excluded.filter, updated_ms = excluded.updated_ms`;
/** Rows per read while verifying: the walk never holds the whole log in memory. */
const VERIFY_PAGE = 5000;

/** The statements of a step list, one after the other; the rows they return, concatenated. */
function* each(stmts: Stmt[]): Generator<Stmt, Row[], Row[]> {
  const out: Row[] = [];
  for (const s of stmts) out.push(...(yield s));
  return out;
}

/**
 * One batch's commit as statements, yielded in order; each `yield` receives the statement's rows. The
 * caller runs it inside one transaction. `beforeLock` runs before the head row is read (PostgreSQL's blob
 * inserts), `afterWrites` after the head moved (PostgreSQL's NOTIFY); both only where a log needs them.
 */
export function* commitSteps(
  d: SqlDialect,
  batch: PreparedEvent[][],
  nowMs: number,
  hooks: { beforeLock?: Stmt[]; afterWrites?: (plan: BatchPlan) => Stmt[] } = {},
): Generator<Stmt, BatchPlan, Row[]> {
  yield* each(hooks.beforeLock ?? []);
  const [head] = (yield { sql: d.lockHead, params: [] }) as { seq: number | string; hash: string }[];
  const { idempotencyKeys, runIds, indexedRunIds } = keysNeeded(batch);
  const existing = new Map<string, { seq: number; id: string }>();
  const hits = (yield* each(d.whereAny('SELECT idempotency_key, seq, id FROM events', 'idempotency_key', idempotencyKeys))) as { idempotency_key: string; seq: number | string; id: string }[];
  for (const h of hits) existing.set(h.idempotency_key, { seq: Number(h.seq), id: h.id });
  const envelopes = new Map<string, StoredEnvelope>();
  for (const row of (yield* each(d.whereAny(`SELECT ${ENVELOPE_COLUMNS} FROM envelopes`, 'run_id', runIds))) as EnvelopeRow[]) envelopes.set(row.run_id, envelopeFromRow(row));
  const runs = new Map<string, RunIndexRow>();
  for (const row of (yield* each(d.whereAny(`SELECT ${RUN_COLUMNS} FROM runs`, 'id', indexedRunIds))) as RunDbRow[]) runs.set(row.id, runFromRow(row));
  const plan = planBatch({ seq: Number(head!.seq), hash: head!.hash }, batch, { existing, envelopes, runs, nowMs });
  if (plan.rows.length > 0) {
    yield* each(d.insertEvents(plan.rows));
    for (const env of plan.envelopes.values()) yield { sql: UPSERT_ENVELOPE, params: envelopeToParams(env) };
    for (const run of plan.runs.values()) yield { sql: UPSERT_RUN, params: runToParams(run) };
    yield { sql: MOVE_HEAD, params: [plan.head.seq, plan.head.hash] };
    yield* each(hooks.afterWrites?.(plan) ?? []);
  }
  return plan;
}

/** Runs steps with a synchronous driver (better-sqlite3): nothing else runs on the connection in between. */
export function driveSync<R>(steps: Generator<Stmt, R, Row[]>, exec: (s: Stmt) => Row[]): R {
  let next = steps.next();
  while (!next.done) next = steps.next(exec(next.value));
  return next.value;
}

/** Runs steps with an asynchronous driver (one pg client inside its transaction). */
export async function driveAsync<R>(steps: Generator<Stmt, R, Row[]>, exec: (s: Stmt) => Promise<Row[]>): Promise<R> {
  let next = steps.next();
  while (!next.done) next = steps.next(await exec(next.value));
  return next.value;
}

/** SQL for an EventFilter (`AND …`, `?` placeholders). */
export function filterSql(d: SqlDialect, filter: EventFilter | undefined): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter?.key !== undefined) {
    parts.push('key = ?');
    params.push(filter.key);
  }
  if (filter?.runId !== undefined) {
    parts.push('run_id = ?');
    params.push(filter.runId);
  }
  if (filter?.types && filter.types.length > 0) {
    const exact = filter.types.filter((t) => !t.includes('*'));
    const wild = filter.types.filter((t) => t.includes('*'));
    const ors: string[] = [];
    if (exact.length) {
      ors.push(`type IN (${list(exact.length)})`);
      params.push(...exact);
    }
    for (const w of wild) {
      ors.push(d.regexp('type'));
      params.push(typePatternToRegex(w));
    }
    parts.push(`(${ors.join(' OR ')})`);
  }
  return { where: parts.length ? ` AND ${parts.join(' AND ')}` : '', params };
}

/** A log on a SQL database: everything but the driver, the transaction and the blob store. */
export abstract class SqlEventLog extends BaseEventLog {
  readonly queries: LogQueries;

  constructor(
    protected readonly sql: SqlDialect,
    opts: LogOptions,
    commitsInFlight = 1,
  ) {
    super(opts, commitsInFlight);
    this.queries = queriesOver(sql, (text, params) => this.readOnly(text, params));
  }

  /** Runs one statement (`?` placeholders) outside the writer's transaction: its rows, or [] for a write. */
  protected abstract exec(sql: string, params: unknown[]): Promise<Row[]>;
  /** Runs one read for the query port, refusing a statement the driver knows to write. */
  protected abstract readOnly(sql: string, params: unknown[]): Promise<Row[]>;

  private async one<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.exec(sql, params))[0] as T | undefined;
  }

  async read(q: ReadQuery): Promise<SpineEvent[]> {
    const { where, params } = filterSql(this.sql, q.filter);
    const order = q.descending ? 'DESC' : 'ASC';
    const cursor = q.descending ? (q.after > 0 ? 'seq < ?' : '1 = 1') : 'seq > ?';
    const args = q.descending ? (q.after > 0 ? [q.after] : []) : [q.after];
    const rows = await this.exec(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${cursor}${where} ORDER BY seq ${order} LIMIT ?`, [...args, ...params, q.limit]);
    return this.eventsFromRows(rows as DbRow[]);
  }

  async head(): Promise<number> {
    return Number((await this.headRow()).seq);
  }

  private async headRow(): Promise<{ seq: number; hash: string }> {
    const row = (await this.one<{ seq: number | string; hash: string }>('SELECT seq, hash FROM spine_head WHERE id = 1'))!;
    return { seq: Number(row.seq), hash: row.hash };
  }

  async getEvent(seq: number): Promise<SpineEvent | null> {
    const row = await this.one<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq = ?`, [seq]);
    return row ? (await this.eventsFromRows([row]))[0]! : null;
  }

  async getEnvelope(runId: string): Promise<Envelope | null> {
    const row = await this.one<EnvelopeRow>(`SELECT ${ENVELOPE_COLUMNS} FROM envelopes WHERE run_id = ?`, [runId]);
    if (!row) return null;
    const [recent, count] = await Promise.all([
      this.exec('SELECT seq, type, source_kind, source_name, time_ms FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT ?', [runId, HISTORY_LIMIT]),
      this.one<{ n: number | string }>('SELECT count(*) AS n FROM events WHERE run_id = ?', [runId]),
    ]);
    return withHistory(envelopeFromRow(row), recent as HistoryRow[], Number(count!.n));
  }

  async getRun(runId: string): Promise<RunIndexRow | null> {
    const row = await this.one<RunDbRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`, [runId]);
    return row ? runFromRow(row) : null;
  }

  async listRuns(q: RunQuery): Promise<RunIndexRow[]> {
    const { sql, params } = runListSql(q);
    return ((await this.exec(sql, params)) as RunDbRow[]).map(runFromRow);
  }

  async verify(fromSeq = 1, toSeq?: number): Promise<VerifyResult> {
    const head = await this.headRow();
    const last = Math.min(toSeq ?? head.seq, head.seq);
    const from = Math.max(1, fromSeq);
    const prev = from > 1 ? (await this.one<{ hash: string }>('SELECT hash FROM events WHERE seq = ?', [from - 1]))?.hash : GENESIS_HASH;
    const v = new ChainVerifier(from, prev ?? GENESIS_HASH);
    const blobs: { seq: number; ref: BlobRef }[] = [];
    for (let cursor = from - 1; ; ) {
      const rows = (await this.exec(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, [cursor, last, VERIFY_PAGE])) as DbRow[];
      let stop = false;
      for (const r of rows) {
        const row = toStoredRow(r);
        if (!v.push(row)) {
          stop = true;
          break;
        }
        const ref = blobRefOf(row.payload);
        if (ref) blobs.push({ seq: row.seq, ref });
        cursor = row.seq;
      }
      if (stop || rows.length < VERIFY_PAGE) break;
    }
    return this.withBlobChecks(verdict(v, from, last, head.seq, head.hash), blobs);
  }

  async loadOffset(consumer: string): Promise<number | null> {
    const row = await this.one<{ offset: number | string }>('SELECT "offset" FROM consumers WHERE name = ?', [consumer]);
    return row ? Number(row.offset) : null;
  }

  async saveOffset(consumer: string, seq: number, filter: EventFilter): Promise<void> {
    await this.exec(SAVE_OFFSET, [consumer, seq, JSON.stringify(filter), Date.now()]);
  }
}
