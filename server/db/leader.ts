/**
 * One engine per database. On SQLite the database is embedded in one process, so that process leads. On
 * PostgreSQL several Spine processes share the log; each serves the API and subscriptions, but only the
 * holder of a session-level advisory lock runs the engine. The others wait on the lock itself (a blocked
 * `pg_advisory_lock` call, not a retry loop): when the leader's connection dies, PostgreSQL hands the lock
 * to one waiter, which recovers every active run from the log and carries on.
 */
import pg from 'pg';

const ENGINE_LOCK = 0x53504e45; // "SPNE"

export type Leadership = { acquired: Promise<void>; release: () => Promise<void> };

export function acquireLeadership(databaseUrl: string | null): Leadership {
  if (!databaseUrl) return { acquired: Promise.resolve(), release: async () => undefined };
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  let released = false;
  const acquired = (async () => {
    await client.connect();
    await client.query('SELECT pg_advisory_lock($1)', [ENGINE_LOCK]);
    if (released) throw new Error('released');
  })();
  acquired.catch(() => undefined);
  return {
    acquired,
    release: async () => {
      released = true;
      await client.end().catch(() => undefined);
    },
  };
}
