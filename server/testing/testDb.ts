/**
 * Per-test databases for `*.int.test.ts`: `SPINE_TEST_DB=sqlite` (default) gives a fresh SQLite file in a
 * temp dir; `SPINE_TEST_DB=postgres` a fresh database in the throwaway cluster that the test run started
 * (its admin URL arrives in SPINE_TEST_PG_URL, see server/testing/globalSetup.ts).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createDatabase } from './postgres';

export type TestDbKind = 'sqlite' | 'postgres';

export function testDbKind(): TestDbKind {
  return process.env.SPINE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

/** A URL for a brand-new, empty database of the selected kind. */
export async function freshDatabaseUrl(kind: TestDbKind = testDbKind()): Promise<string> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-test-'));
    return `file:${path.join(dir, 'spine.db')}`;
  }
  const admin = process.env.SPINE_TEST_PG_URL;
  if (!admin) throw new Error('SPINE_TEST_DB=postgres needs SPINE_TEST_PG_URL (set by the test run’s global setup)');
  return createDatabase(admin, `t_${randomBytes(6).toString('hex')}`);
}
