// Writes the SQL that takes the committed migrations to the current schema, for both providers:
//   npm run db:diff -- <name>
// creates prisma/migrations/{postgresql,sqlite}/<NNNN>_<name>/migration.sql. Review the SQL and add any
// hand-written statements (triggers, seed rows) below the generated part. Spine applies migrations
// itself at start-up (server/db/migrate.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

mkdirSync('data', { recursive: true });
const name = (process.argv[2] ?? 'change').replace(/[^a-z0-9_]/gi, '_');
execFileSync('node', ['scripts/generate-prisma.mjs'], { stdio: 'inherit' });
for (const [provider, schema] of /** @type {[string, string][]} */ ([['postgresql', 'prisma/schema.prisma'], ['sqlite', 'prisma/sqlite/schema.prisma']])) {
  const dir = path.join('prisma/migrations', provider);
  mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir).filter((d) => existsSync(path.join(dir, d, 'migration.sql'))).sort();
  // Diff from the schema the previous migrations produced: a snapshot kept next to them.
  const snapshot = path.join(dir, 'schema.snapshot.prisma');
  const from = existing.length && existsSync(snapshot) ? ['--from-schema-datamodel', snapshot] : ['--from-empty'];
  const sql = execFileSync('npx', ['prisma', 'migrate', 'diff', ...from, '--to-schema-datamodel', schema, '--script'], {
    env: { ...process.env, DATABASE_URL: process.env.SPINE_DIFF_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:55432/postgres', SPINE_PRISMA_SCHEMA: schema },
  }).toString();
  const id = `${String(existing.length + 1).padStart(4, '0')}_${name}`;
  mkdirSync(path.join(dir, id));
  writeFileSync(path.join(dir, id, 'migration.sql'), sql);
  writeFileSync(snapshot, readFileSync(schema, 'utf8'));
  console.log(`wrote ${path.join(dir, id, 'migration.sql')}`);
}
