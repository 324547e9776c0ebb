/**
 * Dashboard benchmark: with 100,000 events and 5,000 runs in the database (bench/seedDashboard.ts), how
 * fast do the timeline, the run list and a run's page show their content in Chromium, and how long from
 * an append until the event is on screen in an open timeline.
 *
 * Targets (issue 5): timeline, run list, run detail ≤ 1 s each; append → visible p95 ≤ 250 ms.
 *
 * - "first contentful view": from the start of navigation until the first real row (an event, a run, the
 *   run's node states and waterfall; its canvas follows on hydration) is painted, i.e. data on screen, not a skeleton, by the page's own clock.
 *   Measured on a fresh page each time, after one warm-up visit; the cold first visit is printed too.
 * - "append → visible": the page itself POSTs an event and a MutationObserver notes when its row appears;
 *   both timestamps come from the page's clock.
 *
 *   npx tsx bench/dashboard.bench.ts                      seeds bench/results/dashboard.db, builds if needed
 *   SPINE_BENCH_DASHBOARD_REUSE=1                         reuse an existing seeded database
 *   SPINE_BENCH_VISITS=5 SPINE_BENCH_APPENDS=100          samples per page / appends
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { DEFAULT_DASHBOARD_DB, seedDashboard } from './seedDashboard';
import { envFlag, envInt } from './support';

const CHROMIUM = process.env.SPINE_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '..');
const VISITS = envInt('SPINE_BENCH_VISITS', 5);
const APPENDS = envInt('SPINE_BENCH_APPENDS', 100);

const err = (s: string) => process.stderr.write(`${s}\n`);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

async function serve(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  // scripts/start.mjs builds the app first when the build is missing or stale.
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 5 min:\n${out.slice(-2000)}`)), 300_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      if (out.includes('Spine listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += String(d)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
  return child;
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * ms from navigation start until every selector is in the page and painted, by the page's own clock: a
 * MutationObserver installed before the page loads notes when the content arrives (rendered on the
 * server or by the client), and the next animation frame is the paint; never earlier than the first
 * contentful paint.
 */
async function firstView(context: BrowserContext, url: string, selectors: string[]): Promise<{ ms: number; fcp: number | null }> {
  const page = await context.newPage();
  try {
    // A string, not a function: tsx would wrap inner functions in helpers the page does not have.
    await page.addInitScript(`(() => {
      const sels = ${JSON.stringify(selectors)};
      const obs = new MutationObserver(() => {
        if (!sels.every((s) => document.querySelector(s))) return;
        obs.disconnect();
        requestAnimationFrame(() => { window.__firstView ??= performance.now(); });
      });
      obs.observe(document, { childList: true, subtree: true });
    })();`);
    await page.goto(url, { waitUntil: 'commit' });
    for (const s of selectors) await page.locator(s).first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForFunction('window.__firstView !== undefined', undefined, { timeout: 30_000 });
    const { at, fcp } = (await page.evaluate(`({ at: window.__firstView, fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null })`)) as { at: number; fcp: number | null };
    return { ms: Math.round(Math.max(at, fcp ?? 0)), fcp: fcp === null ? null : Math.round(fcp) };
  } finally {
    await page.close();
  }
}

async function appendToVisible(page: Page, n: number): Promise<number[]> {
  await page.evaluate(() => {
    const w = window as unknown as { __seen: Map<number, number> };
    w.__seen = new Map();
    new MutationObserver((records) => {
      const now = performance.now();
      for (const r of records)
        for (const node of r.addedNodes) {
          if (!(node instanceof HTMLElement)) continue;
          const rows = node.matches('[data-testid="event-row"]') ? [node] : [...node.querySelectorAll<HTMLElement>('[data-testid="event-row"]')];
          for (const row of rows) {
            const seq = Number(row.dataset.seq);
            if (!w.__seen.has(seq)) w.__seen.set(seq, now);
          }
        }
    }).observe(document.querySelector('[data-testid="live-events"]')!, { childList: true, subtree: true });
  });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const { t0, seq } = await page.evaluate(async (i) => {
      const t0 = performance.now();
      const res = await fetch('/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'bench.visible', key: `bench:${i % 10}`, payload: { i } }) });
      return { t0, seq: ((await res.json()) as { seq: number }).seq };
    }, i);
    await page.waitForFunction((seq) => (window as unknown as { __seen: Map<number, number> }).__seen.has(seq), seq, { timeout: 10_000 });
    const seen = await page.evaluate((seq) => (window as unknown as { __seen: Map<number, number> }).__seen.get(seq)!, seq);
    out.push(seen - t0);
  }
  return out;
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM} (apt-get install -y chromium, or set SPINE_CHROMIUM)`);
  const file = path.resolve(process.env.SPINE_BENCH_DASHBOARD_DB ?? DEFAULT_DASHBOARD_DB);
  const reuse = envFlag('SPINE_BENCH_DASHBOARD_REUSE', false) && existsSync(file);
  let sample: { sampleRun: string; sampleWaiting: string | null } | null = null;
  if (!reuse) sample = await seedDashboard(file, { log: err });
  const keyDir = mkdtempSync(path.join(tmpdir(), 'spine-bench-dash-'));
  const apiKey = `spk_bench_${randomBytes(16).toString('hex')}`;
  const port = 3400 + Math.floor(Math.random() * 500);
  const base = `http://127.0.0.1:${port}`;
  err(`starting the server on ${base} (builds first if needed)…`);
  const server = await serve({
    ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `file:${file}`, SPINE_DEMO: '0', SPINE_API_KEY: apiKey,
    SPINE_AUDIT_KEY_FILE: path.join(keyDir, 'key.pem'), NEXT_TELEMETRY_DISABLED: '1',
  });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1400, height: 900 }, extraHTTPHeaders: { authorization: `Bearer ${apiKey}` } });
    if (!sample) {
      const r = await context.request.get(`${base}/api/trpc/runs.list?input=${encodeURIComponent(JSON.stringify({ statuses: ['completed'], limit: 1 }))}`);
      sample = { sampleRun: ((await r.json()) as { result: { data: { rows: { id: string }[] } } }).result.data.rows[0]!.id, sampleWaiting: null };
    }
    const pages = [
      { name: 'timeline', url: '/timeline', selectors: ['[data-testid="event-row"]'] },
      { name: 'run list', url: '/runs', selectors: ['[data-testid="run-row"]'] },
      { name: 'run detail', url: `/runs/${sample.sampleRun}`, selectors: ['[data-testid="node-row"]', '[data-testid="waterfall-row"]'] },
      { name: 'overview', url: '/', selectors: ['[data-testid="agent-table"]'] },
    ];
    const results: Record<string, { cold: number; median: number; worst: number; fcp: number | null }> = {};
    for (const p of pages) {
      err(`measuring ${p.name}…`);
      const cold = await firstView(context, p.url, p.selectors);
      const runs: number[] = [];
      let fcp: number | null = null;
      for (let i = 0; i < VISITS; i++) {
        const r = await firstView(context, p.url, p.selectors);
        runs.push(r.ms);
        fcp = r.fcp;
      }
      results[p.name] = { cold: cold.ms, median: quantile(runs, 0.5), worst: Math.max(...runs), fcp };
    }

    err(`measuring append → visible (${APPENDS} appends)…`);
    const page = await context.newPage();
    await page.goto('/timeline');
    await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor({ timeout: 30_000 });
    const latencies = await appendToVisible(page, APPENDS);
    await page.close();

    const p50 = quantile(latencies, 0.5);
    const p95 = quantile(latencies, 0.95);
    const rows: [string, string, string, string][] = [
      ...Object.entries(results)
        .filter(([name]) => name !== 'overview')
        .map(([name, r]) => [`${name}: first contentful view`, `${r.median} ms (worst ${r.worst}, cold ${r.cold})`, '≤ 1000 ms', r.worst <= 1000 ? 'PASS' : 'FAIL'] as [string, string, string, string]),
      ['overview: first contentful view', `${results.overview!.median} ms (worst ${results.overview!.worst}, cold ${results.overview!.cold})`, '—', ''],
      ['append → visible in the open timeline', `p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`, 'p95 ≤ 250 ms', p95 <= 250 ? 'PASS' : 'FAIL'],
    ];
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    console.log(`\nDashboard (${file}: 100,000 events, 5,000 runs; ${VISITS} visits per page after a warm-up, Chromium ${browser.version()}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores)`);
    for (const r of rows) console.log(`  ${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padEnd(w[2]!)}  ${r[3]}`);
    mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench', 'results', 'dashboard.json'), JSON.stringify({ at: new Date().toISOString(), pages: results, appendToVisible: { p50, p95, max: Math.max(...latencies), samples: latencies.length } }, null, 2));
    if (envFlag('SPINE_BENCH_STRICT', false) && rows.some((r) => r[3] === 'FAIL')) process.exitCode = 1;
  } finally {
    await browser?.close();
    await stop(server);
    rmSync(keyDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
