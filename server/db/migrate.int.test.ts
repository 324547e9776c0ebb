/**
 * Start-up migrations are safe when several Spine processes start at once: every migration is applied
 * exactly once and every starter sees the schema complete.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import Database from 'better-sqlite3';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { loadMigrations, migratePostgres, migrateSqlite } from './migrate';
import { sqlitePathFromUrl } from './sqlite';
import { spawnTs, waitForLine } from '@/server/testing/processes';

describe(`start-up migrations (${testDbKind()})`, () => {
  it('three processes migrating the same fresh database at once apply each migration exactly once', async () => {
    const url = await freshDatabaseUrl();
    const children = [0, 1, 2].map(() => spawnTs('server/testing/migrateOnce.ts', [], { DATABASE_URL: url }));
    const applied = await Promise.all(children.map((c) => waitForLine(c, /applied (\[.*\])/, 60_000)));
    const all = applied.flatMap((m) => JSON.parse(m[1]!) as string[]);
    const expected = loadMigrations(testDbKind() === 'postgres' ? 'postgresql' : 'sqlite').map((m) => m.name);
    expect(all.sort()).toEqual(expected.sort());
    let rows: { migration_name: string }[];
    if (url.startsWith('postgres')) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      rows = (await c.query('SELECT migration_name FROM _prisma_migrations')).rows;
      await c.end();
      expect(await migratePostgres(url)).toEqual([]);
    } else {
      const db = new Database(sqlitePathFromUrl(url));
      rows = db.prepare('SELECT migration_name FROM _prisma_migrations').all() as { migration_name: string }[];
      db.close();
      expect(migrateSqlite(sqlitePathFromUrl(url))).toEqual([]);
    }
    expect(rows.map((r) => r.migration_name).sort()).toEqual(expected.sort());
  }, 90_000);
});
