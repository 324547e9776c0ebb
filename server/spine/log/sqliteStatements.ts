/**
 * better-sqlite3 statements by text, shared by the log's connection (sqliteEventLog.ts) and the writer
 * thread's (sqliteWriter.worker.ts), and the one batch-commit transaction both can run.
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { BatchPlan, PreparedEvent } from './sequencer';
import { sqlite } from './dialect';
import type { Row } from './queries';
import { commitSteps, driveSync } from './sqlEventLog';

/** A prepared statement and whether it returns rows (read once: better-sqlite3 asks the native side each time). */
export type Prepared = { st: Statement<unknown[]>; reader: boolean };

/** Prepared statements by text; the port's ad-hoc queries are bounded by clearing. */
export class StatementCache {
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

export const runPrepared = ({ st, reader }: Prepared, params: unknown[]): Row[] => (reader ? (st.all(...params) as Row[]) : (st.run(...params), []));

/**
 * The commit of one group-commit batch as one `BEGIN IMMEDIATE` transaction on `db`: synchronous from BEGIN
 * to COMMIT, so no other statement on this connection runs in between.
 */
export function batchWriter(db: Database.Database, statements: StatementCache): (batch: PreparedEvent[][]) => BatchPlan {
  return db.transaction((batch: PreparedEvent[][]) =>
    driveSync(commitSteps(sqlite, batch, Date.now()), (s) => runPrepared(statements.get(s.sql), s.params)),
  ).immediate as unknown as (batch: PreparedEvent[][]) => BatchPlan;
}
