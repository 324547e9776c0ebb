/**
 * Two Spine "processes" on one fresh database, for tests of what one process learns of another's commits:
 * on PostgreSQL two spines (two connections, the other's commits arriving by NOTIFY) and two Prisma clients;
 * on SQLite (one process) one spine shared by both sides, each with its own Prisma client.
 */
import { openSpine, type Spine } from '@/server/spine';
import { createDb, type Db } from '@/server/db/client';
import { freshDatabaseUrl, testDbKind } from './testDb';

export type TwoProcesses = { here: { spine: Spine; db: Db }; there: { spine: Spine; db: Db }; close(): Promise<void> };

export async function openTwoProcesses(): Promise<TwoProcesses> {
  const url = await freshDatabaseUrl();
  const a = await openSpine({ databaseUrl: url });
  const b = testDbKind() === 'postgres' ? await openSpine({ databaseUrl: url }) : a;
  const dbs = [createDb(url), createDb(url)] as const;
  return {
    here: { spine: a, db: dbs[0] },
    there: { spine: b, db: dbs[1] },
    async close() {
      for (const d of dbs) await d.$disconnect();
      for (const s of new Set([a, b])) await s.close();
    },
  };
}
