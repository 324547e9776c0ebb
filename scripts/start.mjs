/**
 * `npm start`: builds the Next.js app when the build is missing or older than its sources, then runs the
 * server (scripts/serve.ts) in a child process, forwarding SIGTERM/SIGINT to it and exiting with its code.
 * Extra arguments go to serve.ts (`npm start -- --dev`).
 *
 * The server runs as `node --import tsx scripts/serve.ts` rather than through `npx tsx`: one child
 * process instead of three, so a forwarded signal reaches the server directly.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const dev = args.includes('--dev');
// Spine runs offline-first; Next.js would otherwise try to send usage telemetry. Opt back in by setting it to 0.
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

/** Inputs of the build: when any is newer than .next/BUILD_ID, rebuild. */
const SOURCE_DIRS = ['app', 'components', 'server'];
const SOURCE_FILES = ['next.config.ts', 'package.json', 'postcss.config.mjs', 'tsconfig.json', 'tsconfig.build.json'];
const SKIP_DIRS = new Set(['node_modules', '.next', '__fixtures__']);

function newestMtime(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) newest = Math.max(newest, newestMtime(full));
    } else if (entry.isFile()) {
      newest = Math.max(newest, statSync(full).mtimeMs);
    }
  }
  return newest;
}

function buildReason() {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return 'no build yet';
  const built = statSync(buildId).mtimeMs;
  for (const dir of SOURCE_DIRS) if (newestMtime(path.join(root, dir)) > built) return `${dir}/ changed`;
  for (const file of SOURCE_FILES) {
    const full = path.join(root, file);
    if (existsSync(full) && statSync(full).mtimeMs > built) return `${file} changed`;
  }
  return null;
}

/** The child currently running (build or server); signals to this process are passed on to it. */
let current = null;
let stopRequested = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    stopRequested = true;
    if (current && current.exitCode === null && current.signalCode === null) current.kill(signal);
    else process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}

/** Runs a node script as a child with inherited stdio; resolves with its exit code and signal. */
function run(args) {
  current = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    current.once('error', reject);
    current.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function exitLike({ code, signal }) {
  if (signal) {
    // Die of the same signal so our parent sees it; our own handlers must not catch it again.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
}

if (!dev) {
  const reason = buildReason();
  if (reason) {
    console.log(`[start] building (${reason})`);
    const build = await run([require.resolve('next/dist/bin/next'), 'build']);
    if (build.code !== 0) {
      console.error('[start] next build failed');
      exitLike(build);
    }
  }
}

if (stopRequested) process.exit(143);
exitLike(await run(['--import', 'tsx', path.join('scripts', 'serve.ts'), ...args]));
