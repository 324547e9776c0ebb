/**
 * HTTP benchmark (issue 15): the real Spine server, started as a user starts it (`node scripts/start.mjs`,
 * the `npm start` script, with a fresh SQLite database, SPINE_DEMO=0 and an admin SPINE_API_KEY, as
 * playwright.config.ts does), against the HTTP floor (bench/floor/bareHttp.ts: bare node:http + the floor
 * engine's group-commit log), measured in the same run, one after the other for each load:
 *
 *   publish: `POST /api/v1/events` (a ~350-byte event) with 1, 16 and 64 keep-alive clients, closed loop
 *     (each client sends its next request when the last is answered): events/s, p50/p99, server CPU per request;
 *   start runs: `POST /api/v1/workflows/legal-case-analysis/runs` with the 2 KiB case document, 16 clients,
 *     zero-work agents on both sides (Spine's six builtins are patched to latencyMs 0 first): runs/s, p50/p99.
 *
 * Diagnostic (SPINE_BENCH_HTTP_WITHOUT_NEXT=1, the default): the same loads on Spine's own runtime and
 * /api/v1 handlers served by plain node:http (bench/floor/spineWithoutNext.ts), to split the gap into what
 * the Next.js request path costs and what Spine's handlers cost. Info rows, no targets.
 *
 * Topology, the same for every server: the server is one process, the clients are this process (undici
 * Pool, one keep-alive connection per client). On 2 CPUs that gives the server one core and the clients the
 * other; clients inside the server's process would take the server's one thread (see bench/README.md).
 *
 * Needs a Next build (`npm run build`); without one it prints how to make one and exits 0.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { spawnTs, waitForLine } from '@/server/testing/processes';
import { caseDocument } from './floor/minimalEngine';
import { Report, cpuCounters, cpuShares, envFlag, envInt, log, now, probeFdatasync, summarize, workloadEvent } from './support';

const SECONDS = envInt('SPINE_BENCH_HTTP_SECONDS', 3);
/** Also measure Spine's runtime and handlers on plain node:http (bench/floor/spineWithoutNext.ts). */
const WITHOUT_NEXT = envFlag('SPINE_BENCH_HTTP_WITHOUT_NEXT', true);
const WARM_MS = 500;
const PUBLISH_CLIENTS = [1, 16, 64];
const START_CLIENTS = 16;
const AGENTS = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment', 'summarizer'];
const DB = 'sqlite FULL';

type Server = { label: string; origin: string; pid: () => number | undefined; stop: () => Promise<void> };
type Load = { perSec: number; p50: number; p99: number; errors: number; serverCpuMs: number };
type Call = { method: 'POST' | 'PATCH'; path: string; body: string; status: number };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** CPU time (user + system) of a process so far, in ms, from /proc (clock ticks of 10 ms). */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => (clearTimeout(kill), resolve()));
    child.kill('SIGTERM');
  });
}

async function startSpine(dir: string, key: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SPINE_DEMO: '0', DATABASE_URL: `file:${path.join(dir, 'spine.db')}`, SPINE_API_KEY: key, SPINE_SQLITE_SYNCHRONOUS: 'FULL', NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForLine(child, /Spine listening on/, 240_000);
  // start.mjs runs the server (scripts/serve.ts) as its one child: that process is the one to measure.
  const server = () => {
    try {
      return Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]) || undefined;
    } catch {
      return undefined;
    }
  };
  return { label: 'spine', origin: `http://127.0.0.1:${port}`, pid: server, stop: () => stopChild(child) };
}

/** Spine's runtime and /api/v1 handlers on plain node:http (bench/floor/spineWithoutNext.ts): what Next.js costs. */
async function startSpineWithoutNext(dir: string, key: string): Promise<Server> {
  const child = spawnTs('bench/floor/spineWithoutNext.ts', [], { DATABASE_URL: `file:${path.join(dir, 'spine-without-next.db')}`, SPINE_API_KEY: key, SPINE_DEMO: '0', SPINE_SQLITE_SYNCHRONOUS: 'FULL' });
  const [, port] = await waitForLine(child, /listening (\d+)/, 120_000);
  return { label: 'spine without Next', origin: `http://127.0.0.1:${port}`, pid: () => child.pid, stop: () => stopChild(child) };
}

async function startFloor(dir: string, key: string): Promise<Server> {
  const child = spawnTs('bench/floor/bareHttp.ts', [], { FLOOR_API_KEY: key, FLOOR_DIR: dir, FLOOR_SYNCHRONOUS: 'FULL' });
  const [, port] = await waitForLine(child, /listening (\d+)/, 60_000);
  return { label: 'floor', origin: `http://127.0.0.1:${port}`, pid: () => child.pid, stop: () => stopChild(child) };
}

/** `clients` closed-loop clients for WARM_MS, then SECONDS measured; `call(i)` is the i-th request. */
async function load(server: Server, key: string, clients: number, call: (i: number) => Call): Promise<Load> {
  const pool = new Pool(server.origin, { connections: clients, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const lat: number[] = [];
  let errors = 0;
  let i = 0;
  let measuring = false;
  const warmEnd = now() + WARM_MS;
  const end = warmEnd + SECONDS * 1000;
  let cpu0 = NaN;
  let t0 = NaN;
  try {
    await Promise.all(Array.from({ length: clients }, async () => {
      for (let t = now(); t < end; t = now()) {
        if (!measuring && t >= warmEnd) {
          measuring = true;
          cpu0 = processCpuMs(server.pid());
          t0 = t;
        }
        const c = call(i++);
        const res = await pool.request({ method: c.method, path: c.path, headers, body: c.body });
        await res.body.dump();
        if (res.statusCode !== c.status) errors++;
        if (measuring) lat.push(now() - t);
      }
    }));
  } finally {
    await pool.close();
  }
  const ms = now() - t0;
  const s = summarize(lat);
  return { perSec: lat.length / (ms / 1000), p50: s.p50, p99: s.p99, errors, serverCpuMs: (processCpuMs(server.pid()) - cpu0) / lat.length };
}

const publish = (i: number): Call => {
  const e = workloadEvent(i);
  return { method: 'POST', path: '/api/v1/events', body: JSON.stringify({ type: 'case.updated', key: e.key, payload: e.payload }), status: 201 };
};
const startRun = (i: number): Call => ({ method: 'POST', path: '/api/v1/workflows/legal-case-analysis/runs', body: JSON.stringify({ input: caseDocument(i) }), status: 202 });

function addFigures(report: Report, scenario: string, unit: string, spine: Load, floor: Load, bare: Load | undefined, targets: { perSec?: { op: '>=' | '<='; value: number; ratio?: boolean }; p50?: number }, disk: number) {
  report.add({ db: DB, scenario, metric: 'disk: fdatasync of 4 KiB p50 (before the floor)', value: disk, unit: 'ms' });
  report.add({ db: DB, scenario, metric: `${unit} (closed loop)`, value: spine.perSec, unit, floor: floor.perSec, ...(targets.perSec && { target: targets.perSec }) });
  report.add({ db: DB, scenario, metric: 'latency p50', value: spine.p50, unit: 'ms', floor: floor.p50, ...(targets.p50 !== undefined && { target: { op: '<=', value: targets.p50 } }) });
  report.add({ db: DB, scenario, metric: 'latency p99', value: spine.p99, unit: 'ms', floor: floor.p99 });
  report.add({ db: DB, scenario, metric: 'server CPU per request', value: spine.serverCpuMs, unit: 'ms', floor: floor.serverCpuMs });
  if (bare) {
    report.add({ db: DB, scenario, metric: `${unit}, Spine without Next (diagnostic)`, value: bare.perSec, unit, floor: floor.perSec });
    report.add({ db: DB, scenario, metric: 'latency p50, Spine without Next', value: bare.p50, unit: 'ms', floor: floor.p50 });
    report.add({ db: DB, scenario, metric: 'server CPU per request, without Next', value: bare.serverCpuMs, unit: 'ms', floor: floor.serverCpuMs });
  }
  if (spine.errors || floor.errors || bare?.errors) report.add({ db: DB, scenario, metric: `unexpected statuses (Spine; without Next: ${bare?.errors ?? '-'})`, value: spine.errors, unit: 'req', floor: floor.errors });
}

async function main() {
  if (!existsSync(path.join(process.cwd(), '.next', 'BUILD_ID'))) {
    console.log('http bench skipped: no Next.js build. Run `npm run build` (or `npm start` once), then `npm run bench:http`.');
    return;
  }
  const report = new Report();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-http-bench-'));
  const key = `spk_bench_${randomBytes(16).toString('hex')}`;
  const servers: Server[] = [];
  const cpuBefore = cpuCounters();
  try {
    log('starting the Spine server (scripts/start.mjs) and the floor server');
    const spine = await startSpine(dir, key);
    servers.push(spine);
    const floor = await startFloor(dir, key);
    servers.push(floor);
    const bare = WITHOUT_NEXT ? await startSpineWithoutNext(dir, key) : undefined;
    if (bare) servers.push(bare);
    for (const server of [spine, ...(bare ? [bare] : [])])
      for (const name of AGENTS) {
        const res = await fetch(`${server.origin}/api/v1/agents/${name}`, { method: 'PATCH', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ config: { latencyMs: 0 } }) });
        if (!res.ok) throw new Error(`PATCH agent ${name} on ${server.label}: ${res.status} ${await res.text()}`);
      }
    for (const clients of PUBLISH_CLIENTS) {
      log(`publish, ${clients} client(s): floor, then Spine${bare ? ', then Spine without Next' : ''}`);
      const disk = probeFdatasync(dir).p50;
      const f = await load(floor, key, clients, publish);
      const s = await load(spine, key, clients, publish);
      const b = bare && (await load(bare, key, clients, publish));
      addFigures(report, `publish, ${clients} client${clients > 1 ? 's' : ''}`, 'ev/s', s, f, b, {
        ...(clients === 64 && { perSec: { op: '>=', value: 0.33, ratio: true } }),
        ...(clients === 1 && { p50: 0.8 }),
      }, disk);
    }
    log(`start runs, ${START_CLIENTS} clients: floor, then Spine${bare ? ', then Spine without Next' : ''}`);
    const disk = probeFdatasync(dir).p50;
    const f = await load(floor, key, START_CLIENTS, startRun);
    const s = await load(spine, key, START_CLIENTS, startRun);
    const b = bare && (await load(bare, key, START_CLIENTS, startRun));
    addFigures(report, `start runs, ${START_CLIENTS} clients`, 'runs/s', s, f, b, { perSec: { op: '>=', value: 1000 } }, disk);
  } finally {
    for (const s of servers.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(report.render());
  const shares = cpuShares(cpuBefore, cpuCounters());
  const [l1, l5] = os.loadavg();
  console.log(`\nfloor = bare node:http + the floor engine's group-commit log (bench/floor/bareHttp.ts), same clients, measured right before Spine; ratio = Spine / floor.`);
  console.log(`machine: load ${l1!.toFixed(2)} / ${l5!.toFixed(2)} (1 / 5 min)${shares ? `, all cores ${shares.busyPct.toFixed(0)}% busy, ${shares.stealPct.toFixed(1)}% stolen during the bench` : ''}`);
  if (report.failures.length) console.log(`\n${report.failures.length} target(s) missed: ${report.failures.map((x) => `${x.scenario} ${x.metric}`).join('; ')}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
