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
import type { LogOptions } from './eventLog';
import type { AppendResult, BatchPlan, PreparedEvent } from './sequencer';
import type { CommitOutcome } from './groupCommit';
import type { BlobRef, PreparedBlob } from '../blobs';
import { BlobFiles } from './blobFiles';
import { sqlite } from './dialect';
import type { Row } from './queries';
import { SqlEventLog, commitSteps, driveSync } from './sqlEventLog';

export type SqliteLogOptions = LogOptions & {
  /** @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL';
  /** Where blob files go. @default `<directory of the database file>/blobs` */
  blobDir?: string;
};

/** A prepared statement and whether it returns rows (read once: better-sqlite3 asks the native side each time). */
type Prepared = { st: Statement<unknown[]>; reader: boolean };

/** Prepared statements by text; the port's ad-hoc queries are bounded by clearing. */
class StatementCache {
  private readonly stmts = new Map<string, Prepared>();
  constructor(
    private readonly db: Database.Database,
    private readonly max: number,
  ) {}
  get(sql: string): Prepared {
    let p = this.stmts.get(sql);
    if (!p) {
      const st = this.db.prepare<unknown[]>(sql);
      p = { st, reader: st.reader };
      if (this.stmts.size >= this.max) this.stmts.clear();
      this.stmts.set(sql, p);
    }
    return p;
  }
}

const run = ({ st, reader }: Prepared, params: unknown[]): Row[] => (reader ? (st.all(...params) as Row[]) : (st.run(...params), []));

export class SqliteEventLog extends SqlEventLog {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  readonly blobs: BlobFiles;
  /** The log's own statements (a fixed set, plus one per length of an IN list). */
  private readonly own: StatementCache;
  /** The query port's statements. */
  private readonly ported: StatementCache;
  private readonly writeBatch: (batch: PreparedEvent[][]) => BatchPlan;

  constructor(file: string, opts: SqliteLogOptions = {}) {
    super(sqlite, opts);
    this.db = openSqliteDatabase(file, opts.synchronous ?? 'FULL');
    this.blobs = new BlobFiles(opts.blobDir ?? path.join(path.dirname(file), 'blobs'));
    this.own = new StatementCache(this.db, 500);
    this.ported = new StatementCache(this.db, 200);
    // Synchronous from BEGIN IMMEDIATE to COMMIT: no other statement on this connection runs in between.
    this.writeBatch = this.db.transaction((batch: PreparedEvent[][]) =>
      driveSync(commitSteps(sqlite, batch, Date.now()), (s) => run(this.own.get(s.sql), s.params)),
    ).immediate as unknown as (batch: PreparedEvent[][]) => BatchPlan;
  }

  get databaseUrl(): string {
    return `file:${this.db.name}`;
  }

  protected async exec(sql: string, params: unknown[]): Promise<Row[]> {
    return run(this.own.get(sql), params);
  }

  protected async readOnly(sql: string, params: unknown[]): Promise<Row[]> {
    const { st } = this.ported.get(sql);
    if (!st.readonly) throw new Error(`spine: the query port refuses a statement that writes: ${sql.slice(0, 80)}`);
    return st.all(...params) as Row[];
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
}
