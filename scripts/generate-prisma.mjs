// Generates both Prisma clients from the one source schema (prisma/schema.prisma, PostgreSQL).
// The SQLite schema is derived text, never edited by hand. Runs offline: the generator uses the
// JS query compiler, so no engine binary is downloaded (see ENVIRONMENT.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';

/** @param {string} source */
export function deriveSqliteSchema(source) {
  return (
    '// GENERATED from prisma/schema.prisma by scripts/generate-prisma.mjs. Do not edit.\n' +
    source
      .replace('provider = "postgresql"', 'provider = "sqlite"')
      .replace('../generated/prisma/postgresql', '../../generated/prisma/sqlite')
      .replace(/url\s*=\s*env\("DATABASE_URL"\)/, 'url      = "file:./unused.db"')
  );
}

const isMain = process.argv[1] && import.meta.url.endsWith(/** @type {string} */ (process.argv[1].split('/').pop()));
if (isMain) {
  if (!existsSync('prisma/schema.prisma')) process.exit(0);
  mkdirSync('prisma/sqlite', { recursive: true });
  writeFileSync('prisma/sqlite/schema.prisma', deriveSqliteSchema(readFileSync('prisma/schema.prisma', 'utf8')));
  const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : 'postgresql://unused@127.0.0.1/unused', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  for (const schema of ['prisma/schema.prisma', 'prisma/sqlite/schema.prisma']) {
    execFileSync('npx', ['prisma', 'generate'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...env, SPINE_PRISMA_SCHEMA: schema } });
  }
  console.log('prisma: generated clients for postgresql and sqlite');
}
