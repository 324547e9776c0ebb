/**
 * Migration 0005 on a database that already has agents: each gets version 1 on record in agent_versions
 * (its sealed config copied as it was), so the registry shows a history for agents registered before
 * versions existed.
 */
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { seal } from '@/server/auth';
import { createDb } from '@/server/db/client';
import { migratePostgres, migrateSqlite } from '@/server/db/migrate';
import { sqlitePathFromUrl } from '@/server/db/sqlite';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { createAgentStore, REDACTED } from './store';

const before = process.env.SPINE_MIGRATIONS_DIR;
afterAll(() => {
  if (before === undefined) delete process.env.SPINE_MIGRATIONS_DIR;
  else process.env.SPINE_MIGRATIONS_DIR = before;
});

describe(`migration 0005_agent_registry (${testDbKind()})`, () => {
  it('records version 1 of every agent that existed before it', async () => {
    const provider = testDbKind() === 'postgres' ? 'postgresql' : 'sqlite';
    const src = path.join(process.cwd(), 'prisma', 'migrations', provider);
    const root = mkdtempSync(path.join(os.tmpdir(), 'spine-mig-'));
    const dir = path.join(root, provider);
    for (const m of readdirSync(src).filter((d) => d < '0005')) cpSync(path.join(src, m), path.join(dir, m), { recursive: true });
    process.env.SPINE_MIGRATIONS_DIR = root;

    const url = await freshDatabaseUrl();
    const config = JSON.stringify({ url: 'https://agents.example/old', secret: seal('whsec_old_secret_value') });
    const insert = `INSERT INTO "agents" ("name", "kind", "description", "config", "updated_at") VALUES ('old-hook', 'http', 'From before', '${config}', CURRENT_TIMESTAMP)`;
    if (provider === 'postgresql') {
      await migratePostgres(url);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(insert);
      await c.end();
    } else {
      migrateSqlite(sqlitePathFromUrl(url));
      const d = new Database(sqlitePathFromUrl(url));
      d.exec(insert);
      d.close();
    }
    cpSync(path.join(src, '0005_agent_registry'), path.join(dir, '0005_agent_registry'), { recursive: true });
    const applied = provider === 'postgresql' ? await migratePostgres(url) : migrateSqlite(sqlitePathFromUrl(url));
    expect(applied).toEqual(['0005_agent_registry']);
    // The store reads today's columns: the later migrations (e.g. 0010's side_effects) go on top.
    for (const m of readdirSync(src).filter((d) => d > '0005')) cpSync(path.join(src, m), path.join(dir, m), { recursive: true });
    if (provider === 'postgresql') await migratePostgres(url);
    else migrateSqlite(sqlitePathFromUrl(url));

    const db = createDb(url);
    try {
      const store = createAgentStore(db);
      const a = await store.get('old-hook');
      expect(a).toMatchObject({ version: 1, capabilities: [], limits: {}, removedAt: null, config: { secret: 'whsec_old_secret_value' } });
      const versions = await store.versions('old-hook');
      expect(versions).toHaveLength(1);
      expect(versions[0]).toMatchObject({ version: 1, createdBy: 'migration', record: { kind: 'http', description: 'From before', config: { url: 'https://agents.example/old', secret: REDACTED } } });
    } finally {
      await db.$disconnect();
    }
  });
});
