/**
 * The Prisma client for the configured database: driver adapters, no engine binary. Both providers are
 * generated from one schema (scripts/generate-prisma.mjs); their model APIs are identical, so the rest of
 * Spine is typed against the PostgreSQL client. Only `server/**\/store.ts` files use it.
 */
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as PgClient } from '@/generated/prisma/postgresql/client';
import { PrismaClient as SqliteClient } from '@/generated/prisma/sqlite/client';
import { isPostgresUrl } from './migrate';
import { sqlitePathFromUrl } from './sqlite';

export type Db = PgClient;
export type { Prisma } from '@/generated/prisma/postgresql/client';

export function createDb(databaseUrl: string): Db {
  if (isPostgresUrl(databaseUrl)) return new PgClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 5 }) });
  const adapter = new PrismaBetterSQLite3({ url: `file:${sqlitePathFromUrl(databaseUrl)}`, timeout: 10_000 });
  return new SqliteClient({ adapter }) as unknown as Db;
}
