/**
 * Opt-in tracing of the PostgreSQL log's write transactions (SPINE_BENCH_PG_TRACE=1), from outside: the
 * pool's clients get a timed `query`, so no server code changes. Per group-commit transaction it
 * splits the time into waiting for the head-row lock (the `SELECT ... FOR UPDATE` round trip, which
 * blocks while another process holds the lock) and holding it (from that SELECT's answer to the end of
 * COMMIT), and splits the hold into database round trips and client-side gaps (planBatch, hashing,
 * building parameters, and waiting for this process's event loop).
 */
import type pg from 'pg';
import { now, summarize, type LatencySummary } from './support';

export type PgTraceSummary = {
  transactions: number;
  lockWaitMs: LatencySummary;
  lockHoldMs: LatencySummary;
  roundTripsPerTx: number;
  /** Mean ms per transaction spent in each statement kind while holding the lock. */
  heldByStatement: Record<string, number>;
  /** Mean ms per transaction between statements while holding the lock (client CPU and scheduling). */
  heldClientGapMs: number;
};

type Tx = { lockStart: number; lockAcquired: number; lastEnd: number; gaps: number; trips: number; byKind: Record<string, number> };

function kind(sql: string): string {
  const s = sql.trim().slice(0, 40).toUpperCase();
  if (s.startsWith('SELECT SEQ, HASH FROM SPINE_HEAD')) return 'lock head (SELECT … FOR UPDATE)';
  if (s.startsWith('SELECT IDEMPOTENCY_KEY')) return 'read idempotency keys';
  if (s.startsWith('SELECT * FROM ENVELOPES')) return 'read envelopes';
  if (s.startsWith('INSERT INTO EVENTS')) return 'insert events (unnest)';
  if (s.startsWith('INSERT INTO ENVELOPES')) return 'upsert envelope';
  if (s.startsWith('UPDATE SPINE_HEAD')) return 'move head';
  if (s.startsWith('SELECT PG_NOTIFY')) return 'pg_notify';
  return s.split(/\s+/)[0]!;
}

export function tracePool(pool: pg.Pool): () => PgTraceSummary {
  const done: Tx[] = [];
  const traced = new WeakSet<object>();
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  (pool as unknown as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
    const client = await connect();
    if (traced.has(client)) return client;
    traced.add(client);
    const query = client.query.bind(client) as (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
    let tx: Tx | undefined;
    (client as unknown as { query: typeof query }).query = async (text: string, values?: unknown[]) => {
      const k = kind(text);
      const start = now();
      if (k === 'BEGIN') tx = undefined;
      if (tx) tx.gaps += start - tx.lastEnd;
      try {
        return await query(text, values);
      } finally {
        const end = now();
        if (k.startsWith('lock head')) tx = { lockStart: start, lockAcquired: end, lastEnd: end, gaps: 0, trips: 1, byKind: {} };
        else if (tx) {
          tx.trips++;
          tx.byKind[k] = (tx.byKind[k] ?? 0) + (end - start);
          tx.lastEnd = end;
          if (k === 'COMMIT' || k === 'ROLLBACK') {
            done.push(tx);
            tx = undefined;
          }
        }
      }
    };
    return client;
  };
  return () => {
    const n = Math.max(1, done.length);
    const held: Record<string, number> = {};
    for (const t of done) for (const [k, v] of Object.entries(t.byKind)) held[k] = (held[k] ?? 0) + v / n;
    return {
      transactions: done.length,
      lockWaitMs: summarize(done.map((t) => t.lockAcquired - t.lockStart)),
      lockHoldMs: summarize(done.map((t) => t.lastEnd - t.lockAcquired)),
      roundTripsPerTx: done.reduce((a, t) => a + t.trips, 0) / n,
      heldByStatement: held,
      heldClientGapMs: done.reduce((a, t) => a + t.gaps, 0) / n,
    };
  };
}
