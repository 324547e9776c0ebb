/**
 * SQLite migration 0011: `seq` becomes the events table's rowid. A log written under the old table comes
 * through the rebuild row for row, verifies, keeps its indexes and stays append-only.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openSpine } from '@/server/spine';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { loadMigrations, migrateSqlite } from '@/server/db/migrate';
import { sqlitePathFromUrl } from '@/server/db/sqlite';

const REBUILD = '0011_events_seq_rowid';

describe.runIf(testDbKind() === 'sqlite')('SQLite events keyed by rowid (migration 0011)', () => {
  it('rebuilds a log written before it without losing or changing a row', async () => {
    const url = await freshDatabaseUrl('sqlite');
    const file = sqlitePathFromUrl(url);
    // A database migrated up to the migration before the rebuild, as a Spine of yesterday left it.
    const spine = await openSpine({ databaseUrl: url });
    for (let i = 0; i < 50; i++) await spine.publish({ type: 'case.opened', key: `case-${i % 7}`, payload: { i, text: 'x'.repeat(i) } });
    await spine.close();
    const db = new Database(file);
    const before = db.prepare('SELECT * FROM events ORDER BY seq').all();
    // Undo the rebuild to get yesterday's table back: the old definition, then forget the migration ran.
    const init = loadMigrations('sqlite').find((m) => m.name.startsWith('0001'))!.sql;
    const oldTable = init.slice(init.indexOf('CREATE TABLE "events"'), init.indexOf(');', init.indexOf('CREATE TABLE "events"')) + 2);
    db.exec(`CREATE TABLE "old_events" ${oldTable.slice(oldTable.indexOf('('))}; INSERT INTO old_events SELECT * FROM events ORDER BY seq; DROP TABLE events; ALTER TABLE old_events RENAME TO events;`);
    db.prepare('DELETE FROM _prisma_migrations WHERE migration_name = ?').run(REBUILD);
    expect(tableSql(db)).toContain('"seq" BIGINT NOT NULL PRIMARY KEY');
    db.close();

    expect(migrateSqlite(file)).toEqual([REBUILD]);

    const after = new Database(file);
    expect(tableSql(after)).toContain('"seq" INTEGER NOT NULL PRIMARY KEY');
    expect(after.prepare('SELECT * FROM events ORDER BY seq').all()).toEqual(before);
    expect(after.prepare('SELECT seq = rowid AS same FROM events').all().every((r) => (r as { same: number }).same === 1)).toBe(true);
    const indexes = (after.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL").all() as { name: string }[]).map((r) => r.name).sort();
    expect(indexes).toEqual(['events_id_key', 'events_idempotency_key_key', 'events_key_seq_idx', 'events_run_id_seq_idx', 'events_type_seq_idx']);
    expect(() => after.prepare('UPDATE events SET type = ? WHERE seq = 1').run('forged')).toThrow(/immutable/);
    expect(() => after.prepare('DELETE FROM events WHERE seq = 1').run()).toThrow(/immutable/);
    after.close();

    const reopened = await openSpine({ databaseUrl: url });
    expect(await reopened.verify()).toMatchObject({ ok: true });
    const next = await reopened.publish({ type: 'case.opened', key: 'case-0', payload: { i: 50 } });
    expect(next.seq).toBe(before.length + 1);
    await reopened.close();
  });
});

function tableSql(db: Database.Database): string {
  return (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() as { sql: string }).sql;
}
