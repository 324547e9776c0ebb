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
import { openSqliteDatabase } from '@/server/db/sqlite';
import type { LogOptions } from './eventLog';
import type { AppendResult, BatchPlan, PreparedEvent } from './sequencer';
import type { CommitOutcome } from './groupCommit';
import type { BlobRef, PreparedBlob } from '../blobs';
import { BlobFiles } from './blobFiles';
import { sqlite } from './dialect';
import type { Row } from './queries';
import { SqlEventLog } from './sqlEventLog';
import { StatementCache, batchWriter, runPrepared } from './sqliteStatements';
import { SqliteWriterThread } from './sqliteWriter';

export type SqliteLogOptions = LogOptions & {
  /** @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL';
  /** Where blob files go. @default `<directory of the database file>/blobs` */
  blobDir?: string;
  /**
   * Where batches commit: inline on this connection, or on a writer thread with its own connection
   * (sqliteWriter.ts), so the event loop runs on while a batch commits. The thread buys throughput (bench:engine
   * on 2 cores: +5 % runs/s with zero-work agents, +12 % with 20 ms agents) for latency (+0.3 ms p50) and
   * memory (a second heap: +70 to +190 MiB peak RSS), so it is not the default. @default 'inline'
   */
  writer?: 'thread' | 'inline';
};

export class SqliteEventLog extends SqlEventLog {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  readonly blobs: BlobFiles;
  /** The log's own statements (a fixed set, plus one per length of an IN list). */
  private readonly own: StatementCache;
  /** The query port's statements. */
  private readonly ported: StatementCache;
  /** The inline writer, or null when batches commit on the writer thread. */
  private readonly writeBatch: ((batch: PreparedEvent[][]) => BatchPlan) | null;
  private readonly writer: SqliteWriterThread | null;

  constructor(file: string, opts: SqliteLogOptions = {}) {
    // The writer thread takes the next batch while this one's reply is on its way (sqliteWriter.ts).
    super(sqlite, opts, opts.writer === 'thread' ? 2 : 1);
    this.db = openSqliteDatabase(file, opts.synchronous ?? 'FULL');
    this.blobs = new BlobFiles(opts.blobDir ?? path.join(path.dirname(file), 'blobs'));
    this.own = new StatementCache(this.db, 500);
    this.ported = new StatementCache(this.db, 200);
    const threaded = opts.writer === 'thread';
    this.writer = threaded ? new SqliteWriterThread(file, opts.synchronous ?? 'FULL') : null;
    this.writeBatch = threaded ? null : batchWriter(this.db, this.own);
  }

  get databaseUrl(): string {
    return `file:${this.db.name}`;
  }

  protected async exec(sql: string, params: unknown[]): Promise<Row[]> {
    const p = this.own.get(sql);
    // A write here would wait (synchronously) for the writer thread's lock: it goes to that thread instead.
    if (this.writer && !p.st.readonly) {
      await this.writer.exec(sql, params);
      return [];
    }
    return runPrepared(p, params);
  }

  protected async readOnly(sql: string, params: unknown[]): Promise<Row[]> {
    const { st } = this.ported.get(sql);
    if (!st.readonly) throw new Error(`spine: the query port refuses a statement that writes: ${sql.slice(0, 80)}`);
    return st.all(...params) as Row[];
  }

  protected async commitBatch(batch: PreparedEvent[][]): Promise<CommitOutcome<AppendResult[]>[]> {
    const { head, events, outcomes } = this.writer ? await this.writer.commit(batch) : this.writeBatch!(batch);
    if (events.length > 0) this.notify(head.seq, events);
    return outcomes;
  }

  protected async closeDatabase(): Promise<void> {
    await this.writer?.close();
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
}
