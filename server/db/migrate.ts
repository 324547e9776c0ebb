/**
 * Applies pending migrations at start-up, on both databases, safely when several Spine processes start
 * at once. Migrations are the committed SQL in prisma/migrations/<provider>/<NNNN_name>/migration.sql
 * (written by `npm run db:diff`) and are recorded in Prisma's own `_prisma_migrations` table.
 *
 * Why not `prisma migrate deploy`: on PostgreSQL it fails through the JS engine here (prisma/orm#27403),
 * so Spine applies the same files itself. Serialization: SQLite `BEGIN IMMEDIATE` (the write lock);
 * PostgreSQL `pg_advisory_lock` around the whole run, each migration in its own transaction.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { openSqliteDatabase } from './sqlite';

export type Migration = { name: string; sql: string; checksum: string };

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;
const ADVISORY_LOCK_ID = 0x5350494e; // "SPIN"

export function migrationsDir(provider: 'sqlite' | 'postgresql'): string {
  const root = process.env.SPINE_MIGRATIONS_DIR ?? path.join(/*turbopackIgnore: true*/ process.cwd(), 'prisma', 'migrations');
  return path.join(root, provider);
}

export function loadMigrations(provider: 'sqlite' | 'postgresql'): Migration[] {
  const dir = migrationsDir(provider);
  if (!existsSync(dir)) throw new Error(`No migrations at ${dir}`);
  return readdirSync(dir)
    .filter((d) => existsSync(path.join(dir, d, 'migration.sql')))
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Applies pending migrations to the SQLite file; returns the names applied. */
export function migrateSqlite(file: string): string[] {
  const db = openSqliteDatabase(file);
  try {
    const applied: string[] = [];
    db.exec(MIGRATIONS_TABLE.replace('TIMESTAMPTZ NOT NULL DEFAULT now()', "DATETIME NOT NULL DEFAULT current_timestamp").replaceAll('TIMESTAMPTZ', 'DATETIME'));
    db.transaction(() => {
      const done = new Set((db.prepare('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL').all() as { migration_name: string }[]).map((r) => r.migration_name));
      for (const m of loadMigrations('sqlite')) {
        if (done.has(m.name)) continue;
        db.exec(m.sql);
        db.prepare('INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (?, ?, current_timestamp, ?, 1)').run(randomUUID(), m.checksum, m.name);
        applied.push(m.name);
      }
    }).immediate();
    return applied;
  } finally {
    db.close();
  }
}

/** Applies pending migrations to PostgreSQL under an advisory lock; returns the names applied. */
export async function migratePostgres(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_ID]);
    await client.query(MIGRATIONS_TABLE);
    const done = new Set((await client.query('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL')).rows.map((r) => r.migration_name as string));
    const applied: string[] = [];
    for (const m of loadMigrations('postgresql')) {
      if (done.has(m.name)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)', [randomUUID(), m.checksum, m.name]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${m.name} failed: ${(e as Error).message}`);
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_ID]).catch(() => undefined);
    await client.end();
  }
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}
