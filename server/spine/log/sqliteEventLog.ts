/**
 * The embedded event log on SQLite (better-sqlite3, the raw driver: this is the hot path).
 *
 * One in-process writer: group commit hands each batch to a single `BEGIN IMMEDIATE` transaction, which
 * takes SQLite's write lock, reads the head row, lets the sequencer number the batch, inserts it and moves
 * the head. SQLite serializes writers, so seq order is commit order even if another process opens the
 * same file. Durability: WAL with `synchronous=FULL` by default (an acknowledged event survives power
 * loss); `NORMAL` is the documented faster trade-off (survives kill -9, not power loss).
 *
 * Payloads over the inline limit are blob files beside the database (blobFiles.ts), written and fsynced
 * before the append enters group commit, so an event is never committed before its blob is durable.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { openSqliteDatabase } from '@/server/db/sqlite';
import type { EventFilter, SpineEvent } from '../events';
import { HISTORY_LIMIT, type Envelope, type EnvelopeRecord } from '../envelope';
import { ChainVerifier, GENESIS_HASH, type VerifyResult } from './hashChain';
import { BaseEventLog, typePatternToRegex, type LogOptions, type ReadQuery } from './eventLog';
import { keysNeeded, planBatch, type AppendResult, type PreparedEvent } from './sequencer';
import type { CommitOutcome } from './groupCommit';
import { EVENT_COLUMNS, RUN_COLUMNS, RUN_UPSERT_SET, runFromRow, runListSql, runToParams, toStoredRow, type DbRow, type EnvelopeRow, type RunDbRow, type RunQuery } from './rows';
import type { RunIndexRow } from '../runIndex';
import { blobRefOf, type BlobRef, type PreparedBlob } from '../blobs';
import { BlobFiles } from './blobFiles';

export type SqliteLogOptions = LogOptions & {
  /** @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL';
  /** Where blob files go. @default `<directory of the database file>/blobs` */
  blobDir?: string;
};

export class SqliteEventLog extends BaseEventLog {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  readonly blobs: BlobFiles;
  private readonly stmts: {
    head: Statement;
    moveHead: Statement;
    insert: Statement;
    byIdem: Statement;
    envelope: Statement;
    upsertEnvelope: Statement;
    bySeq: Statement;
    history: Statement;
    historyCount: Statement;
    offset: Statement;
    saveOffset: Statement;
    run: Statement;
    upsertRun: Statement;
  };
  private readonly writeBatch: (batch: PreparedEvent[][]) => ReturnType<typeof planBatch>;

  constructor(file: string, opts: SqliteLogOptions = {}) {
    super(opts);
    this.db = openSqliteDatabase(file, opts.synchronous ?? 'FULL');
    this.blobs = new BlobFiles(opts.blobDir ?? path.join(path.dirname(file), 'blobs'));
    const db = this.db;
    this.stmts = {
      head: db.prepare('SELECT seq, hash FROM spine_head WHERE id = 1'),
      moveHead: db.prepare('UPDATE spine_head SET seq = ?, hash = ? WHERE id = 1'),
      insert: db.prepare(
        `INSERT INTO events (${EVENT_COLUMNS}) VALUES (@seq, @id, @type, @key, @runId, @causationId, @sourceKind, @sourceName, @timeMs, @envelopeVersion, @payload, @idempotencyKey, @prevHash, @hash)`,
      ),
      byIdem: db.prepare('SELECT seq, id FROM events WHERE idempotency_key = ?'),
      envelope: db.prepare('SELECT * FROM envelopes WHERE run_id = ?'),
      upsertEnvelope: db.prepare(
        `INSERT INTO envelopes (run_id, intent, constraints, deadline_ms, state, version, opened_seq, updated_seq)
         VALUES (@runId, @intent, @constraints, @deadlineMs, @state, @version, @openedSeq, @updatedSeq)
         ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, version = excluded.version, updated_seq = excluded.updated_seq`,
      ),
      bySeq: db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq = ?`),
      history: db.prepare('SELECT seq, type, source_kind, source_name, time_ms FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT ?'),
      historyCount: db.prepare('SELECT count(*) AS n FROM events WHERE run_id = ?'),
      offset: db.prepare('SELECT "offset" FROM consumers WHERE name = ?'),
      run: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`),
      upsertRun: db.prepare(`INSERT INTO runs (${RUN_COLUMNS}) VALUES (${RUN_COLUMNS.split(',').map(() => '?').join(', ')}) ON CONFLICT (id) DO UPDATE SET ${RUN_UPSERT_SET}`),
      saveOffset: db.prepare(
        `INSERT INTO consumers (name, "offset", filter, updated_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET "offset" = excluded."offset", filter = excluded.filter, updated_ms = excluded.updated_ms`,
      ),
    };
    const s = this.stmts;
    this.writeBatch = db
      .transaction((batch: PreparedEvent[][]) => {
        const head = s.head.get() as { seq: number; hash: string };
        const { idempotencyKeys, runIds, indexedRunIds } = keysNeeded(batch);
        const existing = new Map<string, { seq: number; id: string }>();
        for (const k of idempotencyKeys) {
          const hit = s.byIdem.get(k) as { seq: number; id: string } | undefined;
          if (hit) existing.set(k, { seq: Number(hit.seq), id: hit.id });
        }
        const envelopes = new Map<string, EnvelopeRecord & { openedSeq: number; updatedSeq: number }>();
        for (const runId of runIds) {
          const row = s.envelope.get(runId) as EnvelopeRow | undefined;
          if (row) envelopes.set(runId, envelopeFromRow(row));
        }
        const runs = new Map<string, RunIndexRow>();
        for (const runId of indexedRunIds) {
          const row = s.run.get(runId) as RunDbRow | undefined;
          if (row) runs.set(runId, runFromRow(row));
        }
        const plan = planBatch({ seq: Number(head.seq), hash: head.hash }, batch, { existing, envelopes, runs, nowMs: Date.now() });
        for (const row of plan.rows) s.insert.run(row);
        for (const env of plan.envelopes.values()) s.upsertEnvelope.run(envelopeToParams(env));
        for (const run of plan.runs.values()) s.upsertRun.run(...runToParams(run));
        if (plan.rows.length > 0) s.moveHead.run(plan.head.seq, plan.head.hash);
        return plan;
      })
      .immediate as unknown as (batch: PreparedEvent[][]) => ReturnType<typeof planBatch>;
  }

  protected async commitBatch(batch: PreparedEvent[][]): Promise<CommitOutcome<AppendResult[]>[]> {
    const plan = this.writeBatch(batch);
    if (plan.events.length > 0) this.notify(plan.head.seq, plan.events);
    return plan.outcomes;
  }

  protected async closeDatabase(): Promise<void> {
    this.db.close();
  }

  protected storeBlobsBeforeCommit(blobs: PreparedBlob[]): Promise<void> {
    return this.blobs.write(blobs);
  }

  protected async loadBlobs(sha256s: string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const sha of sha256s) {
      const content = await this.blobs.read(sha);
      if (content) out.set(sha, content);
    }
    return out;
  }

  protected checkBlob(ref: BlobRef): Promise<'ok' | 'missing' | 'mismatch'> {
    return this.blobs.check(ref);
  }

  readBlob(sha256: string): Promise<Buffer | null> {
    return this.blobs.read(sha256);
  }

  /** The raw connection, for tests that tamper with rows and for the benchmark floor. */
  get database(): Database.Database {
    return this.db;
  }

  async read(q: ReadQuery): Promise<SpineEvent[]> {
    const { where, params } = filterSql(q.filter);
    const order = q.descending ? 'DESC' : 'ASC';
    const cursor = q.descending ? (q.after > 0 ? 'seq < ?' : '1 = 1') : 'seq > ?';
    const args = q.descending ? (q.after > 0 ? [q.after] : []) : [q.after];
    const rows = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${cursor}${where} ORDER BY seq ${order} LIMIT ?`)
      .all(...args, ...params, q.limit) as DbRow[];
    return this.eventsFromRows(rows);
  }

  async head(): Promise<number> {
    return Number((this.stmts.head.get() as { seq: number }).seq);
  }

  async getEvent(seq: number): Promise<SpineEvent | null> {
    const row = this.stmts.bySeq.get(seq) as DbRow | undefined;
    return row ? (await this.eventsFromRows([row]))[0]! : null;
  }

  async getEnvelope(runId: string): Promise<Envelope | null> {
    const row = this.stmts.envelope.get(runId) as EnvelopeRow | undefined;
    if (!row) return null;
    const recent = this.stmts.history.all(runId, HISTORY_LIMIT) as HistoryRow[];
    const total = Number((this.stmts.historyCount.get(runId) as { n: number }).n);
    return withHistory(envelopeFromRow(row), recent, total);
  }

  async getRun(runId: string): Promise<RunIndexRow | null> {
    const row = this.stmts.run.get(runId) as RunDbRow | undefined;
    return row ? runFromRow(row) : null;
  }

  async listRuns(q: RunQuery): Promise<RunIndexRow[]> {
    const { sql, params } = runListSql(q);
    return (this.db.prepare(sql).all(...params) as RunDbRow[]).map(runFromRow);
  }

  async verify(fromSeq = 1, toSeq?: number): Promise<VerifyResult> {
    const head = this.stmts.head.get() as { seq: number; hash: string };
    const last = Math.min(toSeq ?? Number(head.seq), Number(head.seq));
    const from = Math.max(1, fromSeq);
    const prev = from > 1 ? (this.stmts.bySeq.get(from - 1) as DbRow | undefined)?.hash : GENESIS_HASH;
    const v = new ChainVerifier(from, prev ?? GENESIS_HASH);
    const it = this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq`).iterate(from, last);
    const blobs: { seq: number; ref: BlobRef }[] = [];
    for (const r of it) {
      const row = toStoredRow(r as DbRow);
      if (!v.push(row)) break;
      const ref = blobRefOf(row.payload);
      if (ref) blobs.push({ seq: row.seq, ref });
    }
    return this.withBlobChecks(verdict(v, from, last, Number(head.seq), head.hash), blobs);
  }

  async loadOffset(consumer: string): Promise<number | null> {
    const row = this.stmts.offset.get(consumer) as { offset: number } | undefined;
    return row ? Number(row.offset) : null;
  }

  async saveOffset(consumer: string, seq: number, filter: EventFilter): Promise<void> {
    this.stmts.saveOffset.run(consumer, seq, JSON.stringify(filter), Date.now());
  }
}

type HistoryRow = { seq: number | string; type: string; source_kind: string; source_name: string; time_ms: number | string };

export function withHistory(record: EnvelopeRecord, recentDesc: HistoryRow[], total: number): Envelope {
  return {
    ...record,
    history: {
      entries: recentDesc
        .map((h) => ({
          seq: Number(h.seq),
          type: h.type,
          source: { kind: h.source_kind as 'system', name: h.source_name },
          time: new Date(Number(h.time_ms)).toISOString(),
        }))
        .reverse(),
      omitted: Math.max(0, total - recentDesc.length),
    },
  };
}

export function envelopeFromRow(row: EnvelopeRow): EnvelopeRecord & { openedSeq: number; updatedSeq: number } {
  return {
    runId: row.run_id,
    intent: row.intent,
    constraints: JSON.parse(row.constraints),
    deadline: row.deadline_ms === null ? null : new Date(Number(row.deadline_ms)).toISOString(),
    state: JSON.parse(row.state),
    version: Number(row.version),
    openedSeq: Number(row.opened_seq),
    updatedSeq: Number(row.updated_seq),
  };
}

export function envelopeToParams(env: EnvelopeRecord & { openedSeq: number; updatedSeq: number }) {
  return {
    runId: env.runId,
    intent: env.intent,
    constraints: JSON.stringify(env.constraints),
    deadlineMs: env.deadline === null ? null : Date.parse(env.deadline),
    state: JSON.stringify(env.state),
    version: env.version,
    openedSeq: env.openedSeq,
    updatedSeq: env.updatedSeq,
  };
}

/** SQL for an EventFilter; `?` placeholders (PostgreSQL numbers them itself). */
export function filterSql(filter: EventFilter | undefined): { where: string; params: unknown[] } {
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
      ors.push(`type IN (${exact.map(() => '?').join(', ')})`);
      params.push(...exact);
    }
    for (const w of wild) {
      ors.push('type REGEXP ?');
      params.push(typePatternToRegex(w));
    }
    parts.push(`(${ors.join(' OR ')})`);
  }
  return { where: parts.length ? ` AND ${parts.join(' AND ')}` : '', params };
}

export function verdict(v: ChainVerifier, from: number, last: number, headSeq: number, headHash: string): VerifyResult {
  const base = { checked: v.checked, fromSeq: from, toSeq: last };
  if (v.bad) return { ok: false, ...base, firstBadSeq: v.bad.seq, reason: v.bad.reason };
  if (v.expectedNextSeq !== last + 1 && last >= from)
    return { ok: false, ...base, firstBadSeq: v.expectedNextSeq, reason: 'seq_gap' };
  if (last === headSeq && last >= from && v.lastHash !== headHash)
    return { ok: false, ...base, firstBadSeq: last, reason: 'head_mismatch' };
  return { ok: true, ...base };
}
