import Database from 'better-sqlite3';
import pg from 'pg';
import { sqlitePathFromUrl } from '@/server/db/sqlite';
import { openSpine } from '@/server/spine';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { describeEventLogContract, sqlStorage } from './eventLog.contract';

const storage = sqlStorage(async (url, sql) => {
    if (url.startsWith('postgres')) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    }
    const db = new Database(sqlitePathFromUrl(url));
    try {
      const st = db.prepare(sql);
      return st.reader ? (st.all() as Record<string, unknown>[]) : (st.run(), []);
    } finally {
      db.close();
    }
});

// On SQLite the contract holds for both writers: inline on the log's connection (the default) and the writer thread.
for (const writer of testDbKind() === 'sqlite' ? (['thread', 'inline'] as const) : [undefined])
  describeEventLogContract(
    writer ? `${testDbKind()}, ${writer} writer` : testDbKind(),
    async (opts) => {
      const url = opts?.url ?? (await freshDatabaseUrl());
      return { url, spine: await openSpine({ databaseUrl: url, maxPayloadBytes: opts?.maxPayloadBytes, inlinePayloadBytes: opts?.inlinePayloadBytes, sqliteWriter: writer }) };
    },
    storage,
  );
