/**
 * `npm run bench`: Spine's append and delivery figures against their targets (issue 2 §8).
 *
 * SQLite (always), durable commits (synchronous=FULL) as the headline, NORMAL as a comparison:
 *   - sequential: one awaited publish after another (throughput, latency p50/p99);
 *   - concurrent: N appenders (default 64) each awaiting its own publishes, so group commit batches them;
 *   - delivery: publish → in-process subscriber latency, at rest (sequential publishes) and under the
 *     concurrent load;
 *   - the raw floor, measured in the same run: better-sqlite3 inserting the same precomputed rows in ONE
 *     transaction (see rawFloor.ts), and the ratio Spine-concurrent / floor.
 * PostgreSQL when DATABASE_URL is postgres://... (a fresh database is created in that server and dropped
 * afterwards) or SPINE_BENCH_PG=1 (a throwaway cluster is started and stopped): the same in-process
 * scenarios, plus P processes (default 3) × N appenders writing concurrently, aggregate events/s from the
 * first start to the last finish.
 *
 * Every scenario runs on a fresh database. Prints a table (figure, target, PASS/FAIL) to stdout, progress
 * to stderr, and writes bench/results/latest.json. Exit code 1 if a suite errors, or (SPINE_BENCH_STRICT=1)
 * if a figure misses its target. Sizes: SPINE_BENCH_EVENTS (concurrent and floor, default 20000), SPINE_BENCH_SEQ_EVENTS (2000),
 * SPINE_BENCH_DELIVERY_EVENTS (2000), SPINE_BENCH_APPENDERS (64), SPINE_BENCH_PG_PROCESSES (3),
 * SPINE_BENCH_PG_EVENTS (multi-process total, default SPINE_BENCH_EVENTS), SPINE_BENCH_NORMAL=0 skips the
 * NORMAL rows, SPINE_BENCH_PG_TRACE=1 adds head-lock wait/hold rows for PostgreSQL (see pgTrace.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { openSpine, type Spine } from '@/server/spine';
import { isPostgresUrl } from '@/server/db/migrate';
import { createDatabase, startPgCluster, type PgCluster } from '@/server/testing/postgres';
import { tracePool, type PgTraceSummary } from './pgTrace';
import { medianFloorRate, pgFloorRate, precomputeRows } from './rawFloor';
import type { StoredRow } from '@/server/spine/log/sequencer';
import { Report, RssSampler, cpuCounters, cpuShares, envFlag, heapAfterGcMiB, envInt, log, maxRssMiB, now, probeFdatasync, runOpenings, summarize, workloadEvent, type LatencySummary, type Target } from './support';

const config = {
  events: envInt('SPINE_BENCH_EVENTS', 20_000),
  seqEvents: envInt('SPINE_BENCH_SEQ_EVENTS', 2_000),
  deliveryEvents: envInt('SPINE_BENCH_DELIVERY_EVENTS', 2_000),
  appenders: envInt('SPINE_BENCH_APPENDERS', 64),
  warmup: envInt('SPINE_BENCH_WARMUP', 1_000),
  normal: envFlag('SPINE_BENCH_NORMAL', true),
  pgProcesses: envInt('SPINE_BENCH_PG_PROCESSES', 3),
  pgEvents: envInt('SPINE_BENCH_PG_EVENTS', envInt('SPINE_BENCH_EVENTS', 20_000)),
  pgSeqEvents: envInt('SPINE_BENCH_PG_SEQ_EVENTS', Math.min(1_000, envInt('SPINE_BENCH_SEQ_EVENTS', 2_000))),
  startPg: envFlag('SPINE_BENCH_PG', false),
  pgTrace: envFlag('SPINE_BENCH_PG_TRACE', false),
  strict: envFlag('SPINE_BENCH_STRICT', false),
};

const TARGETS = {
  sqliteConcurrentRate: 30_000,
  sqliteFloorRatio: 0.5,
  deliveryP99Ms: 5,
  pgMultiProcessRate: 5_000,
};

const report = new Report();
const rss = new RssSampler();
const details: Record<string, unknown> = {};

// ---------------------------------------------------------------------------------------------------------
// Scenarios (database-agnostic: they only use the public Spine API)
// ---------------------------------------------------------------------------------------------------------

type Throughput = { events: number; seconds: number; rate: number; latency: LatencySummary };
type BatchStats = { transactions: number; meanEvents: number; maxEvents: number };

/** Opens the workload's runs (envelope version 1) and warms the JIT with `warmup` concurrent appends. */
async function prepare(spine: Spine, tag: string) {
  await spine.append(runOpenings(tag));
  await appendConcurrently(spine, config.appenders, config.warmup, `${tag}-warm`);
}

async function appendSequentially(spine: Spine, n: number, tag: string): Promise<Throughput> {
  const lat = new Float64Array(n);
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const s = now();
    await spine.publish(workloadEvent(i, tag));
    lat[i] = now() - s;
  }
  const seconds = (now() - t0) / 1000;
  return { events: n, seconds, rate: n / seconds, latency: summarize(lat) };
}

/**
 * `appenders` loops, each awaiting one publish after another, `total` events in all. `sent` (if given)
 * records when event n's publish was called, for delivery latency.
 */
async function appendConcurrently(spine: Spine, appenders: number, total: number, tag: string, sent?: Float64Array): Promise<Throughput & { batches: BatchStats }> {
  const lat = new Float64Array(total);
  const sizes: number[] = [];
  const stopCounting = spine.log.onCommit((_head, events) => events && sizes.push(events.length));
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      for (let n = next++; n < total; n = next++) {
        const s = now();
        if (sent) sent[n] = s;
        await spine.publish(workloadEvent(n, tag));
        lat[n] = now() - s;
      }
    }),
  );
  const seconds = (now() - t0) / 1000;
  stopCounting();
  const batches = { transactions: sizes.length, meanEvents: sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length), maxEvents: Math.max(0, ...sizes) };
  return { events: total, seconds, rate: total / seconds, latency: summarize(lat), batches };
}

/**
 * Publish → in-process subscriber latency. The subscriber is confirmed live (it has received a sentinel)
 * before measuring; then `n` workload events are published, sequentially or by `appenders` concurrent
 * loops, and each event's receive time is matched to its publish call by `payload.n`.
 */
async function measureDelivery(spine: Spine, n: number, appenders: number | 'sequential', tag: string) {
  const sent = new Float64Array(n);
  const committed = new Float64Array(n);
  const received = new Float64Array(n);
  let got = 0;
  const mine = (c: string | null) => c !== null && c.startsWith(`evt-${tag}-`);
  // Registered before the subscriber's own wake-up listener, so it sees each commit first: splits
  // delivery latency into "until committed" (database) and "commit → subscriber" (Spine's fan-out).
  const stopStamping = spine.log.onCommit((_head, events) => {
    const t = now();
    for (const e of events ?? []) if (mine(e.causationId)) committed[(e.payload as { n: number }).n] = t;
  });
  const abort = new AbortController();
  let live!: () => void;
  const isLive = new Promise<void>((r) => (live = r));
  const consuming = (async () => {
    for await (const e of spine.subscribe({ types: ['task.*', 'bench.*'], signal: abort.signal })) {
      if (e.type === 'bench.sentinel') {
        live();
        continue;
      }
      if (!mine(e.causationId)) continue;
      received[(e.payload as { n: number }).n] = now();
      if (++got === n) break;
    }
  })();
  await spine.publish({ type: 'bench.sentinel', payload: {} });
  await isLive;
  let load: Throughput | undefined;
  if (appenders === 'sequential') {
    for (let i = 0; i < n; i++) {
      sent[i] = now();
      await spine.publish(workloadEvent(i, tag));
    }
  } else {
    load = await appendConcurrently(spine, appenders, n, tag, sent);
  }
  const deadline = setTimeout(() => abort.abort(), 10_000);
  await consuming;
  clearTimeout(deadline);
  stopStamping();
  if (got !== n) throw new Error(`delivery: subscriber received ${got} of ${n} events`);
  const lat = new Float64Array(n);
  const fanOut = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lat[i] = received[i]! - sent[i]!;
    fanOut[i] = received[i]! - committed[i]!;
  }
  return { latency: summarize(lat), afterCommit: summarize(fanOut), load };
}

function deliveryRows(db: string, scenario: string, d: { latency: LatencySummary; afterCommit: LatencySummary }, p99Target?: Target) {
  report.add({ db, scenario, metric: 'publish→subscriber p50', value: d.latency.p50, unit: 'ms' });
  report.add({ db, scenario, metric: 'publish→subscriber p99', value: d.latency.p99, unit: 'ms', target: p99Target });
  report.add({ db, scenario, metric: '  of which commit→subscriber p99', value: d.afterCommit.p99, unit: 'ms' });
}

// ---------------------------------------------------------------------------------------------------------
// SQLite
// ---------------------------------------------------------------------------------------------------------

async function sqliteSuite(dir: string) {
  let dbCount = 0;
  const fresh = async (synchronous: 'FULL' | 'NORMAL', tag: string) => {
    const spine = await openSpine({ databaseUrl: `file:${path.join(dir, `spine-${++dbCount}.db`)}`, synchronous });
    await prepare(spine, tag);
    return spine;
  };

  const disk = probeFdatasync(dir);
  details.diskFdatasync = disk;
  report.add({ db: 'disk', scenario: '4 KiB append + fdatasync', metric: 'p50', value: disk.p50, unit: 'ms', note: 'context: the cost of one durable commit' });
  report.add({ db: 'disk', scenario: '4 KiB append + fdatasync', metric: 'p99', value: disk.p99, unit: 'ms' });


  const modes: Array<'FULL' | 'NORMAL'> = config.normal ? ['FULL', 'NORMAL'] : ['FULL'];
  for (const sync of modes) {
    const db = `sqlite ${sync}`;
    const headline = sync === 'FULL';

    log(`${db}: ${config.seqEvents} sequential publishes`);
    let spine = await fresh(sync, 'seq');
    const seq = await appendSequentially(spine, config.seqEvents, 'seq');
    await spine.close();
    report.add({ db, scenario: 'sequential', metric: 'throughput', value: seq.rate, unit: 'ev/s' });
    report.add({ db, scenario: 'sequential', metric: 'append p50', value: seq.latency.p50, unit: 'ms' });
    report.add({ db, scenario: 'sequential', metric: 'append p99', value: seq.latency.p99, unit: 'ms' });

    // The floor is measured right before the run it is compared with: on a shared machine the disk and
    // CPU available drift over a minute.
    log(`${db}: raw floor (better-sqlite3, same ${config.events} rows precomputed, one transaction${headline ? `; and ${config.appenders}-row transactions` : ''})`);
    let rows: StoredRow[] | undefined = precomputeRows(config.events);
    const floor = medianFloorRate(dir, rows, { synchronous: sync, label: sync });
    const floor64 = headline ? medianFloorRate(dir, rows, { synchronous: sync, chunk: config.appenders, label: `${sync}-${config.appenders}` }) : NaN;
    details[`sqliteFloor${sync}`] = { rows: rows.length, oneTransaction: floor, chunked: headline ? { rowsPerTransaction: config.appenders, rate: floor64 } : undefined };
    rows = undefined; // not part of Spine's memory figures below

    log(`${db}: ${config.appenders} concurrent appenders, ${config.events} events`);
    spine = await fresh(sync, 'conc');
    const heapBefore = heapAfterGcMiB();
    rss.takePeak();
    const conc = await appendConcurrently(spine, config.appenders, config.events, 'conc');
    const concRss = rss.takePeak();
    const retained = heapAfterGcMiB() - heapBefore;
    const verified = await spine.verify();
    if (!verified.ok) throw new Error(`${db}: hash chain does not verify after the concurrent run: ${JSON.stringify(verified)}`);
    await spine.close();
    const label = `${config.appenders} concurrent`;
    report.add({ db, scenario: label, metric: 'throughput', value: conc.rate, unit: 'ev/s', target: headline ? { op: '>=', value: TARGETS.sqliteConcurrentRate } : undefined });
    report.add({ db, scenario: label, metric: 'append p50', value: conc.latency.p50, unit: 'ms' });
    report.add({ db, scenario: label, metric: 'append p99', value: conc.latency.p99, unit: 'ms' });
    report.add({ db, scenario: label, metric: 'events / transaction', value: conc.batches.meanEvents, unit: 'ev' });
    report.add({ db, scenario: label, metric: 'peak RSS', value: concRss, unit: 'MiB' });
    report.add({ db, scenario: label, metric: 'heap retained after run (post-GC)', value: retained, unit: 'MiB' });

    report.add({ db, scenario: 'raw floor (1 tx)', metric: 'throughput', value: floor, unit: 'ev/s' });
    report.add({ db, scenario: 'raw floor (1 tx)', metric: `${config.appenders} concurrent / floor`, value: conc.rate / floor, unit: 'x', target: headline ? { op: '>=', value: TARGETS.sqliteFloorRatio } : undefined });
    if (headline) {
      // One commit per `appenders` rows: what raw better-sqlite3 reaches with the batch size group commit
      // gets from that many closed-loop appenders (each waits for its commit before appending again).
      const scenario = `raw floor (${config.appenders}-row txs)`;
      report.add({ db, scenario, metric: 'throughput', value: floor64, unit: 'ev/s' });
      report.add({ db, scenario, metric: `${config.appenders} concurrent / this floor`, value: conc.rate / floor64, unit: 'x' });
    }

    log(`${db}: delivery latency (sequential, then ${config.appenders} concurrent)`);
    spine = await fresh(sync, 'deliv');
    const idle = await measureDelivery(spine, config.deliveryEvents, 'sequential', 'dseq');
    const loaded = await measureDelivery(spine, config.events, config.appenders, 'dconc');
    const delivRss = rss.takePeak();
    await spine.close();
    const t = headline ? { op: '<=' as const, value: TARGETS.deliveryP99Ms } : undefined;
    deliveryRows(db, 'delivery, sequential', idle, t);
    deliveryRows(db, `delivery, ${label}`, loaded, t);
    report.add({ db, scenario: `delivery, ${label}`, metric: 'throughput (with subscriber)', value: loaded.load!.rate, unit: 'ev/s' });
    report.add({ db, scenario: 'delivery runs', metric: 'peak RSS', value: delivRss, unit: 'MiB' });

    details[`sqlite${sync}`] = { sequential: seq, concurrent: conc, deliverySequential: idle.latency, deliveryConcurrent: loaded.latency, deliveryConcurrentLoad: loaded.load };
  }
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------------------

const TSX = path.join(process.cwd(), 'node_modules', '.bin', 'tsx');
const WORKER = path.join(process.cwd(), 'bench', 'pgAppendWorker.ts');

type WorkerResult = { label: string; start: number; end: number; events: number; p50: number; p99: number; maxRssMiB: number; trace?: PgTraceSummary };

function startWorker(url: string, appenders: number, count: number, label: string) {
  const child = spawn(TSX, [WORKER, String(appenders), String(count), label], { env: { ...process.env, DATABASE_URL: url }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => l === 'ready' && resolve());
    child.on('exit', (code) => reject(new Error(`worker ${label} exited (${code}) before ready: ${stderr}`)));
  });
  const result = new Promise<WorkerResult>((resolve, reject) => {
    lines.on('line', (l) => l.startsWith('result ') && resolve(JSON.parse(l.slice(7)) as WorkerResult));
    child.on('exit', (code) => reject(new Error(`worker ${label} exited (${code}) without a result: ${stderr}`)));
  });
  return { child, ready, result };
}

function stopChildren(children: ChildProcess[]) {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGTERM');
}

async function pgSuite(adminUrl: string, origin: string) {
  const created: string[] = [];
  const fresh = async () => {
    const name = `spine_bench_${process.pid}_${created.length + 1}`;
    const url = await createDatabase(adminUrl, name);
    created.push(name);
    return url;
  };
  const db = 'postgresql';
  try {
    log(`${db} (${origin}): ${config.pgSeqEvents} sequential publishes`);
    let url = await fresh();
    let spine = await openSpine({ databaseUrl: url });
    await prepare(spine, 'seq');
    const seq = await appendSequentially(spine, config.pgSeqEvents, 'seq');
    await spine.close();
    report.add({ db, scenario: 'sequential', metric: 'throughput', value: seq.rate, unit: 'ev/s' });
    report.add({ db, scenario: 'sequential', metric: 'append p50', value: seq.latency.p50, unit: 'ms' });
    report.add({ db, scenario: 'sequential', metric: 'append p99', value: seq.latency.p99, unit: 'ms' });

    log(`${db}: ${config.appenders} concurrent appenders in one process, ${config.events} events`);
    url = await fresh();
    spine = await openSpine({ databaseUrl: url });
    await prepare(spine, 'conc');
    rss.takePeak();
    const traceConc = config.pgTrace ? tracePool((spine.log as unknown as { pool: pg.Pool }).pool) : undefined;
    const conc = await appendConcurrently(spine, config.appenders, config.events, 'conc');
    const concRss = rss.takePeak();
    await spine.close();
    const label = `${config.appenders} concurrent, 1 process`;
    report.add({ db, scenario: label, metric: 'throughput', value: conc.rate, unit: 'ev/s' });
    report.add({ db, scenario: label, metric: 'append p50', value: conc.latency.p50, unit: 'ms' });
    report.add({ db, scenario: label, metric: 'append p99', value: conc.latency.p99, unit: 'ms' });
    report.add({ db, scenario: label, metric: 'events / transaction', value: conc.batches.meanEvents, unit: 'ev' });
    report.add({ db, scenario: label, metric: 'peak RSS', value: concRss, unit: 'MiB' });
    if (traceConc) traceRows(label, [traceConc()]);

    log(`${db}: raw floor (pg, same rows, ${config.appenders}-row transactions, one client)`);
    const pgFloor = await pgFloorRate(await fresh(), precomputeRows(config.events), config.appenders);
    report.add({ db, scenario: `raw floor (${config.appenders}-row txs)`, metric: 'throughput', value: pgFloor, unit: 'ev/s' });
    report.add({ db, scenario: `raw floor (${config.appenders}-row txs)`, metric: `${config.appenders} concurrent / this floor`, value: conc.rate / pgFloor, unit: 'x' });

    log(`${db}: delivery latency`);
    url = await fresh();
    spine = await openSpine({ databaseUrl: url });
    await prepare(spine, 'deliv');
    const idle = await measureDelivery(spine, config.deliveryEvents, 'sequential', 'dseq');
    const loaded = await measureDelivery(spine, config.events, config.appenders, 'dconc');
    await spine.close();
    deliveryRows(db, 'delivery, sequential', idle);
    deliveryRows(db, `delivery, ${config.appenders} concurrent`, loaded);

    const procs = config.pgProcesses;
    const perAppender = Math.ceil(config.pgEvents / (procs * config.appenders));
    log(`${db}: ${procs} processes × ${config.appenders} appenders × ${perAppender} events`);
    url = await fresh();
    spine = await openSpine({ databaseUrl: url }); // migrates once; the workers open with migrate: false
    await spine.append(runOpenings('multi'));
    const workers = Array.from({ length: procs }, (_, p) => startWorker(url, config.appenders, perAppender, `p${p}`));
    let results: WorkerResult[];
    try {
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.child.stdin!.write('go\n');
      results = await Promise.all(workers.map((w) => w.result));
    } finally {
      stopChildren(workers.map((w) => w.child));
    }
    const verified = await spine.verify();
    await spine.close();
    if (!verified.ok) throw new Error(`${db}: hash chain does not verify after the multi-process run: ${JSON.stringify(verified)}`);
    const total = results.reduce((a, r) => a + r.events, 0);
    const seconds = (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) / 1000;
    const multi = `${procs} processes × ${config.appenders}`;
    report.add({ db, scenario: multi, metric: 'aggregate throughput', value: total / seconds, unit: 'ev/s', target: { op: '>=', value: TARGETS.pgMultiProcessRate } });
    report.add({ db, scenario: multi, metric: 'append p50 (worst process)', value: Math.max(...results.map((r) => r.p50)), unit: 'ms' });
    report.add({ db, scenario: multi, metric: 'append p99 (worst process)', value: Math.max(...results.map((r) => r.p99)), unit: 'ms' });
    report.add({ db, scenario: multi, metric: 'peak RSS (largest worker)', value: Math.max(...results.map((r) => r.maxRssMiB)), unit: 'MiB' });
    if (config.pgTrace) traceRows(multi, results.map((r) => r.trace!));
    details.postgresql = { origin, sequential: seq, concurrent: conc, floorChunked: { rowsPerTransaction: config.appenders, rate: pgFloor }, deliverySequential: idle.latency, deliveryConcurrent: loaded.latency, multiProcess: { total, seconds, workers: results } };
  } finally {
    await dropDatabases(adminUrl, created);
  }
}

/** Lock wait / hold rows from SPINE_BENCH_PG_TRACE=1 (several processes: the worst p99, the mean of means). */
function traceRows(scenario: string, traces: PgTraceSummary[]) {
  const db = 'postgresql';
  const mean = (f: (t: PgTraceSummary) => number) => traces.reduce((a, t) => a + f(t), 0) / traces.length;
  const worst = (f: (t: PgTraceSummary) => number) => Math.max(...traces.map(f));
  report.add({ db, scenario, metric: 'trace: head-lock wait p50 (incl. 1 RTT)', value: mean((t) => t.lockWaitMs.p50), unit: 'ms' });
  report.add({ db, scenario, metric: 'trace: head-lock wait p99', value: worst((t) => t.lockWaitMs.p99), unit: 'ms' });
  report.add({ db, scenario, metric: 'trace: head-lock hold p50', value: mean((t) => t.lockHoldMs.p50), unit: 'ms' });
  report.add({ db, scenario, metric: 'trace: head-lock hold p99', value: worst((t) => t.lockHoldMs.p99), unit: 'ms' });
  report.add({ db, scenario, metric: 'trace: round trips per tx', value: mean((t) => t.roundTripsPerTx), unit: '' });
  report.add({ db, scenario, metric: 'trace: client gaps while holding', value: mean((t) => t.heldClientGapMs), unit: 'ms/tx' });
  const kinds = [...new Set(traces.flatMap((t) => Object.keys(t.heldByStatement)))];
  for (const k of kinds) report.add({ db, scenario, metric: `trace: held in ${k}`, value: mean((t) => t.heldByStatement[k] ?? 0), unit: 'ms/tx' });
}

async function dropDatabases(adminUrl: string, names: string[]) {
  if (names.length === 0) return;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    for (const n of names) await c.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`).catch((e) => log(`could not drop ${n}: ${(e as Error).message}`));
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------

const started = new Date();
const t0 = now();
const loadBefore = os.loadavg();
const rssAtStart = process.memoryUsage.rss() / 2 ** 20;
const cpuBefore = cpuCounters();
const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-bench-'));
let cluster: PgCluster | undefined;
const onSignal = () => {
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

// A suite that fails is reported and the other figures are still printed.
const errors: string[] = [];
async function suite(name: string, run: () => Promise<void>) {
  try {
    await run();
  } catch (e) {
    errors.push(`${name}: ${(e as Error).stack ?? String(e)}`);
    log(`${name} failed: ${(e as Error).message}`);
  }
}

try {
  await suite('sqlite', () => sqliteSuite(dir));
  const envUrl = process.env.DATABASE_URL;
  if (config.startPg) {
    await suite('postgresql', async () => {
      log('starting a throwaway PostgreSQL cluster (SPINE_BENCH_PG=1)');
      cluster = await startPgCluster();
      await pgSuite(cluster.url(), 'throwaway cluster');
    });
  } else if (envUrl && isPostgresUrl(envUrl)) {
    // Needs CREATEDB: every scenario runs in a fresh database, dropped afterwards (the log is append-only,
    // so the benchmark never writes into an existing database).
    await suite('postgresql', () => pgSuite(envUrl, 'DATABASE_URL'));
  } else {
    log('PostgreSQL skipped: set SPINE_BENCH_PG=1 (throwaway cluster) or DATABASE_URL=postgresql://...');
  }
} finally {
  cluster?.stop();
  rss.stop();
  rmSync(dir, { recursive: true, force: true });
}

report.add({ db: 'process', scenario: 'start (tsx, modules loaded)', metric: 'RSS', value: rssAtStart, unit: 'MiB' });
report.add({ db: 'process', scenario: 'whole run', metric: 'peak RSS (maxRSS)', value: maxRssMiB(), unit: 'MiB' });
const seconds = (now() - t0) / 1000;

const machine = `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}`;
console.log(`\nSpine benchmark, ${started.toISOString()} (${seconds.toFixed(1)} s). ${machine}`);
const loadAfter = os.loadavg();
const cpu = cpuShares(cpuBefore, cpuCounters());
const cpuNote = cpu ? `; all cores ${cpu.busyPct.toFixed(0)}% busy, ${cpu.stealPct.toFixed(0)}% stolen by the hypervisor` : '';
console.log(`load average (1 min) before ${loadBefore[0]!.toFixed(2)}, after ${loadAfter[0]!.toFixed(2)} on ${os.cpus().length} cores${cpuNote}`);
console.log(`events: concurrent ${config.events}, sequential ${config.seqEvents}, delivery ${config.deliveryEvents}; appenders ${config.appenders}; payload ~${Buffer.byteLength(JSON.stringify(workloadEvent(0).payload))} B\n`);
console.log(report.render());
const failures = report.failures;
console.log(failures.length === 0 ? '\nAll targets met.' : `\n${failures.length} target(s) missed: ${failures.map((f) => `${f.db} ${f.scenario} ${f.metric}`).join('; ')}`);
for (const e of errors) console.log(`\nERROR in ${e}`);

const resultsDir = path.join(process.cwd(), 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const summary = { startedAt: started.toISOString(), seconds, machine, loadAverage: { before: loadBefore, after: loadAfter }, cpu, config, targets: TARGETS, figures: report.figures, errors, details };
writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`\nJSON summary: bench/results/latest.json`);
if (errors.length > 0 || (config.strict && failures.length > 0)) process.exitCode = 1;
