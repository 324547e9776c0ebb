/**
 * The scale-out event log on PostgreSQL, shared by several Spine processes.
 *
 * The sequencer is the `spine_head` row. Each group-commit batch runs in one transaction that first takes
 * `SELECT ... FOR UPDATE` on it, so batches from all processes are serialized on that lock. A writer reads
 * the head only after the previous holder has committed, numbers its batch after it, and commits before the
 * next writer can read the head: seq is gapless and commit-ordered, which BIGSERIAL is not (sequence values
 * are taken before commit and commit out of order). Idempotency keys are checked under the same lock.
 *
 * Wake-ups cross processes with `NOTIFY spine_events, '<head seq>'`, sent inside the transaction (so only
 * committed heads are announced); a listener connection turns them into commit notifications. Subscribers
 * then read by seq; nothing sleeps and polls.
 *
 * Payloads over the inline limit go to the `blobs` table (sha256 primary key) in the same transaction as
 * the events that reference them, `ON CONFLICT DO NOTHING`: the same payload twice is one row, and an event
 * is never visible without its blob. They are inserted *before* the head lock is taken, so a large write
 * never holds up the writers of every process, and in hash order, so two transactions inserting the same
 * blobs cannot deadlock on them. (A blob of a submission the sequencer then refuses stays, unreferenced:
 * harmless, as a blob file left by a crash is on SQLite.)
 */
import pg from 'pg';
import type { EventFilter, SpineEvent } from '../events';
import { HISTORY_LIMIT, type Envelope, type EnvelopeRecord } from '../envelope';
import { ChainVerifier, GENESIS_HASH, type VerifyResult } from './hashChain';
import { BaseEventLog, type LogOptions, type ReadQuery } from './eventLog';
import { keysNeeded, planBatch, type AppendResult, type PreparedEvent } from './sequencer';
import type { CommitOutcome } from './groupCommit';
import { EVENT_COLUMNS, RUN_COLUMNS, RUN_UPSERT_SET, runFromRow, runListSql, runToParams, toStoredRow, type DbRow, type EnvelopeRow, type RunDbRow, type RunQuery } from './rows';
import type { RunIndexRow } from '../runIndex';
import { blobRefOf, blobMatches, type BlobRef, type PreparedBlob } from '../blobs';
import { envelopeFromRow, envelopeToParams, filterSql, verdict, withHistory } from './sqliteEventLog';

export const NOTIFY_CHANNEL = 'spine_events';

// BIGINT as JS number: seq and epoch milliseconds stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export type PostgresLogOptions = LogOptions & { poolSize?: number };

export class PostgresEventLog extends BaseEventLog {
  readonly dialect = 'postgresql' as const;
  readonly pool: pg.Pool;
  private listener?: pg.Client;
  private closing = false;

  private constructor(private readonly url: string, opts: PostgresLogOptions) {
    super(opts);
    this.pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
    this.pool.on('error', () => undefined);
  }

  static async open(url: string, opts: PostgresLogOptions = {}): Promise<PostgresEventLog> {
    const log = new PostgresEventLog(url, opts);
    await log.listen();
    return log;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    client.on('notification', (msg) => {
      const head = Number(msg.payload);
      if (Number.isFinite(head)) this.notify(head);
    });
    client.on('end', () => {
      // Reconnect a dropped listener; subscribers re-read from their cursor on the next wake-up.
      if (!this.closing) setTimeout(() => void this.listen().catch(() => undefined), 200);
    });
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.listener = client;
  }

  protected async commitBatch(batch: PreparedEvent[][]): Promise<CommitOutcome<AppendResult[]>[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await insertBlobs(client, batch);
      const head = (await client.query('SELECT seq, hash FROM spine_head WHERE id = 1 FOR UPDATE')).rows[0] as { seq: number; hash: string };
      const { idempotencyKeys, runIds, indexedRunIds } = keysNeeded(batch);
      const existing = new Map<string, { seq: number; id: string }>();
      if (idempotencyKeys.length) {
        const r = await client.query('SELECT idempotency_key, seq, id FROM events WHERE idempotency_key = ANY($1::text[])', [idempotencyKeys]);
        for (const row of r.rows) existing.set(row.idempotency_key, { seq: Number(row.seq), id: row.id });
      }
      const envelopes = new Map<string, EnvelopeRecord & { openedSeq: number; updatedSeq: number }>();
      if (runIds.length) {
        const r = await client.query('SELECT * FROM envelopes WHERE run_id = ANY($1::text[])', [runIds]);
        for (const row of r.rows as EnvelopeRow[]) envelopes.set(row.run_id, envelopeFromRow(row));
      }
      const runs = new Map<string, RunIndexRow>();
      if (indexedRunIds.length) {
        const r = await client.query(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ANY($1::text[])`, [indexedRunIds]);
        for (const row of r.rows as RunDbRow[]) runs.set(row.id, runFromRow(row));
      }
      const plan = planBatch({ seq: Number(head.seq), hash: head.hash }, batch, { existing, envelopes, runs, nowMs: Date.now() });
      if (plan.rows.length > 0) {
        const cols: unknown[][] = Array.from({ length: 14 }, () => []);
        for (const r of plan.rows) {
          const v = [r.seq, r.id, r.type, r.key, r.runId, r.causationId, r.sourceKind, r.sourceName, r.timeMs, r.envelopeVersion, r.payload, r.idempotencyKey, r.prevHash, r.hash];
          v.forEach((x, i) => cols[i]!.push(x));
        }
        await client.query(
          `INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[])`,
          cols,
        );
        for (const env of plan.envelopes.values()) {
          const p = envelopeToParams(env);
          await client.query(
            `INSERT INTO envelopes (run_id, intent, constraints, deadline_ms, state, version, opened_seq, updated_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, version = excluded.version, updated_seq = excluded.updated_seq`,
            [p.runId, p.intent, p.constraints, p.deadlineMs, p.state, p.version, p.openedSeq, p.updatedSeq],
          );
        }
        for (const run of plan.runs.values()) {
          await client.query(`INSERT INTO runs (${RUN_COLUMNS}) VALUES (${RUN_COLUMNS.split(',').map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (id) DO UPDATE SET ${RUN_UPSERT_SET}`, runToParams(run));
        }
        await client.query('UPDATE spine_head SET seq = $1, hash = $2 WHERE id = 1', [plan.head.seq, plan.head.hash]);
        await client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, String(plan.head.seq)]);
      }
      await client.query('COMMIT');
      if (plan.events.length > 0) this.notify(plan.head.seq, plan.events);
      return plan.outcomes;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  protected async storeBlobsBeforeCommit(): Promise<void> {
    // Written inside the appending transaction (commitBatch).
  }

  protected async loadBlobs(sha256s: string[]): Promise<Map<string, Buffer>> {
    const r = await this.pool.query('SELECT sha256, content FROM blobs WHERE sha256 = ANY($1::text[])', [sha256s]);
    return new Map((r.rows as { sha256: string; content: Buffer }[]).map((b) => [b.sha256, b.content]));
  }

  protected async checkBlob(ref: BlobRef): Promise<'ok' | 'missing' | 'mismatch'> {
    const content = await this.readBlob(ref.sha256);
    if (!content) return 'missing';
    return blobMatches(ref, content) ? 'ok' : 'mismatch';
  }

  async readBlob(sha256: string): Promise<Buffer | null> {
    const r = await this.pool.query('SELECT content FROM blobs WHERE sha256 = $1', [sha256]);
    return (r.rows[0]?.content as Buffer | undefined) ?? null;
  }

  protected async closeDatabase(): Promise<void> {
    this.closing = true;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  async read(q: ReadQuery): Promise<SpineEvent[]> {
    const { where, params } = filterSql(q.filter);
    const cursor = q.descending ? (q.after > 0 ? 'seq < ?' : '1 = 1') : 'seq > ?';
    const args = q.descending ? (q.after > 0 ? [q.after] : []) : [q.after];
    const sql = numbered(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${cursor}${where.replaceAll('REGEXP', '~')} ORDER BY seq ${q.descending ? 'DESC' : 'ASC'} LIMIT ?`);
    const r = await this.pool.query(sql, [...args, ...params, q.limit]);
    return this.eventsFromRows(r.rows as DbRow[]);
  }

  async head(): Promise<number> {
    const r = await this.pool.query('SELECT seq FROM spine_head WHERE id = 1');
    return Number(r.rows[0].seq);
  }

  async getEvent(seq: number): Promise<SpineEvent | null> {
    const r = await this.pool.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq = $1`, [seq]);
    return r.rows[0] ? (await this.eventsFromRows([r.rows[0] as DbRow]))[0]! : null;
  }

  async getEnvelope(runId: string): Promise<Envelope | null> {
    const r = await this.pool.query('SELECT * FROM envelopes WHERE run_id = $1', [runId]);
    if (!r.rows[0]) return null;
    const [recent, count] = await Promise.all([
      this.pool.query('SELECT seq, type, source_kind, source_name, time_ms FROM events WHERE run_id = $1 ORDER BY seq DESC LIMIT $2', [runId, HISTORY_LIMIT]),
      this.pool.query('SELECT count(*)::int AS n FROM events WHERE run_id = $1', [runId]),
    ]);
    return withHistory(envelopeFromRow(r.rows[0] as EnvelopeRow), recent.rows, Number(count.rows[0].n));
  }

  async getRun(runId: string): Promise<RunIndexRow | null> {
    const r = await this.pool.query(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`, [runId]);
    return r.rows[0] ? runFromRow(r.rows[0] as RunDbRow) : null;
  }

  async listRuns(q: RunQuery): Promise<RunIndexRow[]> {
    const { sql, params } = runListSql(q);
    const r = await this.pool.query(numbered(sql), params);
    return (r.rows as RunDbRow[]).map(runFromRow);
  }

  async verify(fromSeq = 1, toSeq?: number): Promise<VerifyResult> {
    const head = (await this.pool.query('SELECT seq, hash FROM spine_head WHERE id = 1')).rows[0] as { seq: number; hash: string };
    const last = Math.min(toSeq ?? Number(head.seq), Number(head.seq));
    const from = Math.max(1, fromSeq);
    const prev = from > 1 ? (await this.pool.query('SELECT hash FROM events WHERE seq = $1', [from - 1])).rows[0]?.hash : GENESIS_HASH;
    const v = new ChainVerifier(from, prev ?? GENESIS_HASH);
    let cursor = from - 1;
    const PAGE = 5000;
    const blobs: { seq: number; ref: BlobRef }[] = [];
    for (;;) {
      const r = await this.pool.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3`, [cursor, last, PAGE]);
      let stop = false;
      for (const row of r.rows as DbRow[]) {
        const stored = toStoredRow(row);
        if (!v.push(stored)) {
          stop = true;
          break;
        }
        const ref = blobRefOf(stored.payload);
        if (ref) blobs.push({ seq: stored.seq, ref });
        cursor = Number(row.seq);
      }
      if (stop || r.rows.length < PAGE) break;
    }
    return this.withBlobChecks(verdict(v, from, last, Number(head.seq), head.hash), blobs);
  }

  async loadOffset(consumer: string): Promise<number | null> {
    const r = await this.pool.query('SELECT "offset" FROM consumers WHERE name = $1', [consumer]);
    return r.rows[0] ? Number(r.rows[0].offset) : null;
  }

  async saveOffset(consumer: string, seq: number, filter: EventFilter): Promise<void> {
    await this.pool.query(
      `INSERT INTO consumers (name, "offset", filter, updated_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET "offset" = excluded."offset", filter = excluded.filter, updated_ms = excluded.updated_ms`,
      [consumer, seq, JSON.stringify(filter), Date.now()],
    );
  }
}

/** The batch's blobs, each once, in hash order (see the file comment). */
async function insertBlobs(client: pg.PoolClient, batch: PreparedEvent[][]): Promise<void> {
  const byHash = new Map<string, PreparedBlob>();
  for (const sub of batch) for (const e of sub) if (e.blob) byHash.set(e.blob.sha256, e.blob);
  for (const sha of [...byHash.keys()].sort()) {
    const b = byHash.get(sha)!;
    await client.query('INSERT INTO blobs (sha256, bytes, content) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING', [b.sha256, b.bytes, b.content]);
  }
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
