// Prisma CLI configuration. The JS engine with a driver adapter keeps every CLI command offline
// (no engine binary download; see ENVIRONMENT.md). SPINE_PRISMA_SCHEMA picks the derived SQLite
// schema; migrations are written by `npm run db:diff` and applied by Spine itself (server/db/migrate.ts).
import path from 'node:path';
import type { PrismaConfig } from 'prisma';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';

const schema = process.env.SPINE_PRISMA_SCHEMA ?? path.join('prisma', 'schema.prisma');
const sqlite = schema.includes('sqlite');

export default {
  experimental: { adapter: true },
  engine: 'js',
  schema,
  adapter: async () =>
    sqlite
      ? new PrismaBetterSQLite3({ url: 'file:./data/prisma-cli.db' })
      : new PrismaPg({ connectionString: process.env.DATABASE_URL ?? 'postgresql://unused@127.0.0.1/unused' }),
} satisfies PrismaConfig;
