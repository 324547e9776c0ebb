/**
 * The fork, compare and evaluation e2e specs again, with Spine on PostgreSQL: a throwaway cluster
 * (server/testing/postgres.ts) and a fresh database in it, handed to playwright.config.ts as
 * SPINE_E2E_DATABASE_URL; the cluster is stopped however the run ends. Part of `npm test` (scripts/test.mjs).
 *
 *   node --import tsx e2e/postgres.ts
 */
import { spawnSync } from 'node:child_process';
import { createDatabase, startPgCluster } from '@/server/testing/postgres';

const SPECS = ['e2e/runs.spec.ts', 'e2e/compare.spec.ts', 'e2e/evaluate.spec.ts'];

const cluster = await startPgCluster();
let status = 1;
try {
  const url = await createDatabase(cluster.url(), 'spine_e2e');
  console.log(`e2e on PostgreSQL: ${url}`);
  const r = spawnSync('npx', ['playwright', 'test', '--project=chromium', ...SPECS], { stdio: 'inherit', env: { ...process.env, SPINE_E2E_DATABASE_URL: url } });
  status = r.status ?? 1;
} finally {
  cluster.stop();
}
process.exit(status);
