// The whole test suite, in the order a failure is cheapest to find:
//   typecheck + lint → unit → integration on SQLite → integration on a throwaway PostgreSQL → e2e in Chromium
//   → the fork, compare and evaluation e2e specs again with Spine on a throwaway PostgreSQL.
// `node scripts/test.mjs int` runs only the two integration passes.
// The PostgreSQL pass starts its own cluster (server/testing/globalSetup.ts); e2e needs Chromium at
// /usr/bin/chromium or SPINE_CHROMIUM and stops with install instructions when there is none.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const only = process.argv[2];
const chromium = process.env.SPINE_CHROMIUM ?? '/usr/bin/chromium';

function run(title, cmd, args, env = {}) {
  console.log(`\n▶ ${title}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n✖ ${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  console.log(`✔ ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const steps = {
  check: () => run('typecheck and lint', 'npm', ['run', '--silent', 'check']),
  unit: () => run('unit tests', 'npx', ['vitest', 'run', '--project', 'unit']),
  intSqlite: () => run('integration tests on SQLite', 'npx', ['vitest', 'run', '--project', 'int'], { SPINE_TEST_DB: 'sqlite' }),
  intPostgres: () => run('integration tests on PostgreSQL (throwaway cluster)', 'npx', ['vitest', 'run', '--project', 'int'], { SPINE_TEST_DB: 'postgres' }),
  e2e: () => {
    if (!existsSync(chromium)) {
      console.error(`\n✖ No Chromium at ${chromium}. Install one (apt-get install -y chromium) or point SPINE_CHROMIUM at a Chromium binary; .ci/run installs it for you.`);
      process.exit(1);
    }
    run('end-to-end tests in Chromium', 'npx', ['playwright', 'test']);
  },
  e2ePostgres: () => run('fork, compare and evaluation e2e on PostgreSQL (throwaway cluster)', 'node', ['--import', 'tsx', 'e2e/postgres.ts']),
};

const plan = only === 'int' ? ['intSqlite', 'intPostgres'] : ['check', 'unit', 'intSqlite', 'intPostgres', 'e2e', 'e2ePostgres'];
for (const step of plan) steps[step]();
console.log('\nAll tests passed.');
