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
import type { LogOptions } from './eventLog';
import type { AppendResult, PreparedEvent } from './sequencer';
import type { CommitOutcome } from './groupCommit';
import { blobMatches, type BlobRef, type PreparedBlob } from '../blobs';
import { postgresql, type Stmt } from './dialect';
import type { Row } from './queries';
import { SqlEventLog, commitSteps, driveAsync } from './sqlEventLog';

export const NOTIFY_CHANNEL = 'spine_events';

// BIGINT as JS number: seq and epoch milliseconds stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export type PostgresLogOptions = LogOptions & { poolSize?: number };

export class PostgresEventLog extends SqlEventLog {
  readonly dialect = 'postgresql' as const;
  readonly pool: pg.Pool;
  /** The query port's connections: sessions the database itself holds read-only (opened on first use). */
  private readers?: pg.Pool;
  private listener?: pg.Client;
  private closing = false;

  private constructor(private readonly url: string, opts: PostgresLogOptions) {
    super(postgresql, opts);
    this.pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
    this.pool.on('error', () => undefined);
  }

  static async open(url: string, opts: PostgresLogOptions = {}): Promise<PostgresEventLog> {
    const log = new PostgresEventLog(url, opts);
    await log.listen();
    return log;
  }

  get databaseUrl(): string {
    return this.url;
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

  protected async exec(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.pool.query(postgresql.placeholders(sql), params)).rows as Row[];
  }

  protected async readOnly(sql: string, params: unknown[]): Promise<Row[]> {
    this.readers ??= new pg.Pool({ connectionString: this.url, max: 4, options: '-c default_transaction_read_only=on' }).on('error', () => undefined);
    return (await this.readers.query(postgresql.placeholders(sql), params)).rows as Row[];
  }

  protected async commitBatch(batch: PreparedEvent[][]): Promise<CommitOutcome<AppendResult[]>[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const plan = await driveAsync(
        commitSteps(postgresql, batch, Date.now(), {
          beforeLock: blobInserts(batch),
          afterWrites: (p) => [{ sql: 'SELECT pg_notify(?, ?)', params: [NOTIFY_CHANNEL, String(p.head.seq)] }],
        }),
        async (s) => (await client.query(postgresql.placeholders(s.sql), s.params)).rows as Row[],
      );
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
    await this.readers?.end();
    await this.pool.end();
  }
}

/** The batch's blobs, each once, in hash order (see the file comment). */
function blobInserts(batch: PreparedEvent[][]): Stmt[] {
  const byHash = new Map<string, PreparedBlob>();
  for (const sub of batch) for (const e of sub) if (e.blob) byHash.set(e.blob.sha256, e.blob);
  return [...byHash.keys()].sort().map((sha) => {
    const b = byHash.get(sha)!;
    return { sql: 'INSERT INTO blobs (sha256, bytes, content) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING', params: [b.sha256, b.bytes, b.content] };
  });
}
