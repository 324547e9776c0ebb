/**
 * Designer benchmark (issue 4, Quality): with a generated 200-node workflow in the real app, in the
 * system Chromium,
 *   - time to open the editor: navigation start → all 200 nodes measured and shown (React Flow hides a
 *     node until it has measured it), first open and the median of warm opens;
 *   - frame time while dragging a node: for each pointer move, the main-thread work it causes: handling
 *     the event (React Flow's drag, the store, React's render and commit) plus the frame it produces
 *     (rAF, style, layout, paint), excluding the idle wait for vsync. Median and p95 over the drag.
 * Targets: open ≤ 1 s (issue 15; issue 4 asked 1.5 s), median frame ≤ 16 ms. Also printed: the interval between frames during the drag.
 *
 * Starts its own Spine (`node scripts/start.mjs`, which builds when the build is stale) on a free loopback
 * port with a throwaway SQLite database, and stops it at the end.
 *
 *   npx tsx bench/designer.bench.ts      (part of `npm run bench`)
 *   SPINE_BENCH_DESIGNER_NODES=500 …     another size
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';
import { Report, envInt, log, summarize } from './support';

const NODES = envInt('SPINE_BENCH_DESIGNER_NODES', 200);
const OPENS = envInt('SPINE_BENCH_DESIGNER_OPENS', 5);
const DRAG_STEPS = envInt('SPINE_BENCH_DESIGNER_DRAG_STEPS', 80);
const CHROMIUM = process.env.SPINE_CHROMIUM ?? '/usr/bin/chromium';
const API_KEY = `spk_bench_${randomBytes(16).toString('hex')}`;

/**
 * A valid workflow of exactly `n` nodes: trigger → fan-out → `branches` chains of agents → join → end, the
 * remainder as set-context steps after the join. Laid out on the demo templates' grid (250 × 120 px).
 */
export function generatedWorkflow(n: number): WorkflowDocumentInput {
  const fixed = 4; // trigger, fan-out, join, end
  const branches = Math.max(2, Math.round(Math.sqrt(n - fixed)));
  const perBranch = Math.floor((n - fixed) / branches);
  const extra = n - fixed - branches * perBranch;
  const nodes: WorkflowDocumentInput['nodes'] = [];
  const edges: WorkflowDocumentInput['edges'] = [];
  const link = (source: string, target: string) => edges.push({ id: `e-${source}-${target}`, source, target });
  const midY = ((branches - 1) * 120) / 2;
  nodes.push({ id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: midY }, config: { mode: 'manual' } });
  nodes.push({ id: 'split', kind: 'fanOut', label: 'Split', position: { x: 250, y: midY }, config: { mode: 'static' } });
  link('start', 'split');
  for (let b = 0; b < branches; b++) {
    let prev = 'split';
    for (let i = 0; i < perBranch; i++) {
      const id = `b${b}-s${i}`;
      nodes.push({ id, kind: 'agent', label: `Branch ${b + 1}, step ${i + 1}`, position: { x: 500 + i * 250, y: b * 120 }, config: { agent: 'echo' } });
      link(prev, id);
      prev = id;
    }
    link(prev, 'join');
  }
  const afterX = 500 + perBranch * 250;
  nodes.push({ id: 'join', kind: 'join', label: 'All branches', position: { x: afterX, y: midY }, config: { mode: 'all' } });
  let prev = 'join';
  for (let i = 0; i < extra; i++) {
    const id = `set-${i}`;
    nodes.push({ id, kind: 'setContext', label: `Record ${i + 1}`, position: { x: afterX + (i + 1) * 250, y: midY }, config: { patch: { [`step${i}`]: 'true' } } });
    link(prev, id);
    prev = id;
  }
  nodes.push({ id: 'end', kind: 'end', label: 'Done', position: { x: afterX + (extra + 1) * 250, y: midY }, config: { outcome: 'success' } });
  link(prev, 'end');
  return { formatVersion: 1, nodes, edges };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startSpine(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-bench-designer-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `file:${path.join(dir, 'spine.db')}`, SPINE_DEMO: '0', SPINE_SEED: '1', SPINE_API_KEY: API_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Spine did not start within 5 minutes')), 300_000);
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      if (/\[start\] building/.test(text)) log('building the app first (the build is stale)…');
      if (/listening on/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`Spine exited with ${code} before listening`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, dir };
}

async function trpc<T>(base: string, proc: string, input: unknown): Promise<T> {
  const res = await fetch(`${base}/api/trpc/${proc}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${proc}: HTTP ${res.status} ${JSON.stringify(body.error ?? body).slice(0, 300)}`);
  return body.result.data;
}

/*
 * Code that runs in the page is passed as source text: tsx (esbuild) wraps functions of this file in a
 * `__name` helper that does not exist in the page.
 */

/**
 * Opens the editor; resolves with ms from navigation start until every node is rendered and measured
 * (React Flow shows a node once measured) and every edge is drawn, and with the main thread's busy time
 * over the same span (CDP Performance.TaskDuration), which says how much of the wait was this page's work.
 */
async function openEditor(page: Page, url: string, nodes: number, edges: number): Promise<{ ms: number; busyMs: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const busy = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0) * 1000;
  const before = await busy();
  await page.goto(url, { waitUntil: 'commit' });
  const ms = (await page.evaluate(`new Promise((resolve) => {
    const check = () => {
      const shown = document.querySelectorAll('.react-flow__node');
      if (shown.length >= ${nodes} && document.querySelectorAll('.react-flow__edge').length >= ${edges} && [...shown].every((el) => el.style.visibility !== 'hidden')) resolve(performance.now());
      else requestAnimationFrame(check);
    };
    check();
  })`)) as number;
  const busyMs = (await busy()) - before;
  await cdp.detach();
  return { ms, busyMs };
}

/**
 * Installs the per-move frame-work probe in the page (see the file header). Marks: the pointer move
 * (window, capture: before any handler), the last DOM change it caused (a MutationObserver runs right after
 * React's commit, which follows React Flow's handler in the same task), then the frame: from its rAF
 * callbacks to a message posted there, which runs once style, layout and paint are done.
 */
async function installFrameProbe(page: Page) {
  await page.evaluate(`(() => {
    const probe = { work: [], handling: [], intervals: [], t0: null, handled: null, lastFrame: null };
    window.__probe = probe;
    window.addEventListener('pointermove', () => { probe.t0 = performance.now(); probe.handled = null; }, { capture: true });
    new MutationObserver(() => { if (probe.t0 !== null) probe.handled = performance.now(); })
      .observe(document.querySelector('.react-flow'), { subtree: true, attributes: true, childList: true, characterData: true });
    const channel = new MessageChannel();
    let frameStart = 0;
    channel.port1.onmessage = () => {
      const end = performance.now();
      if (probe.t0 !== null && probe.handled !== null) {
        probe.work.push(probe.handled - probe.t0 + (end - frameStart));
        probe.handling.push(probe.handled - probe.t0);
      }
      probe.t0 = probe.handled = null;
    };
    const onFrame = (t) => {
      frameStart = performance.now();
      if (probe.t0 !== null) {
        if (probe.lastFrame !== null) probe.intervals.push(t - probe.lastFrame);
        probe.lastFrame = t;
        channel.port2.postMessage(0);
      }
      requestAnimationFrame(onFrame);
    };
    requestAnimationFrame(onFrame);
  })()`);
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set SPINE_CHROMIUM)`);
  const report = new Report();
  log(`starting Spine for the designer benchmark (${NODES} nodes)…`);
  const spine = await startSpine();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const doc = generatedWorkflow(NODES);
    const wf = await trpc<{ id: string }>(spine.url, 'workflows.create', { name: `Bench ${NODES} nodes`, document: doc });
    const editorUrl = `${spine.url}/workflows/${wf.id}`;
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, extraHTTPHeaders: { authorization: `Bearer ${API_KEY}` } });

    // Open: the first time (cold browser cache), then warm.
    const opens: number[] = [];
    const busy: number[] = [];
    for (let i = 0; i <= OPENS; i++) {
      const page = await context.newPage();
      const { ms, busyMs } = await openEditor(page, editorUrl, NODES, doc.edges.length);
      if (i === 0) report.add({ db: 'chromium', scenario: `editor, ${NODES} nodes`, metric: 'open, first (cold cache)', value: ms, unit: 'ms' });
      else {
        opens.push(ms);
        busy.push(busyMs);
      }
      await page.close();
      log(`open ${i === 0 ? 'cold' : `warm ${i}`}: ${ms.toFixed(0)} ms (main thread busy ${busyMs.toFixed(0)} ms)`);
    }
    const open = summarize(opens);
    report.add({ db: 'chromium', scenario: `editor, ${NODES} nodes`, metric: `open, median of ${opens.length} warm`, value: open.p50, unit: 'ms', target: { op: '<=', value: 1000 } });
    report.add({ db: 'chromium', scenario: `editor, ${NODES} nodes`, metric: 'open, slowest warm', value: open.max, unit: 'ms' });
    report.add({ db: 'chromium', scenario: `editor, ${NODES} nodes`, metric: 'open, main thread busy (median)', value: summarize(busy).p50, unit: 'ms' });

    // Drag one node across the canvas, one pointer move per frame.
    const page = await context.newPage();
    await openEditor(page, editorUrl, NODES, doc.edges.length);
    await installFrameProbe(page);
    const target = page.locator('.react-flow__node[data-id="b0-s0"]');
    const box = (await target.boundingBox())!;
    const x0 = box.x + box.width / 2;
    const y0 = box.y + Math.min(12, box.height / 2);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    const nextFrame = () => page.evaluate('new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))');
    for (let i = 1; i <= DRAG_STEPS; i++) {
      await page.mouse.move(x0 + i * 4, y0 + Math.sin(i / 6) * 30);
      await nextFrame();
    }
    await page.mouse.up();
    await nextFrame();
    const probe = (await page.evaluate('window.__probe')) as { work: number[]; handling: number[]; intervals: number[] };
    const moved = (await target.boundingBox())!;
    if (Math.abs(moved.x - box.x) < 50) throw new Error('the node did not move: the drag was not applied');
    const work = summarize(probe.work);
    report.add({ db: 'chromium', scenario: `drag a node, ${NODES} nodes`, metric: `frame work, median (${work.count} frames)`, value: work.p50, unit: 'ms', target: { op: '<=', value: 16 } });
    report.add({ db: 'chromium', scenario: `drag a node, ${NODES} nodes`, metric: 'frame work, p90', value: work.p90, unit: 'ms' });
    report.add({ db: 'chromium', scenario: `drag a node, ${NODES} nodes`, metric: 'frame work, max', value: work.max, unit: 'ms' });
    report.add({ db: 'chromium', scenario: `drag a node, ${NODES} nodes`, metric: 'of which event → commit, median', value: summarize(probe.handling).p50, unit: 'ms' });
    report.add({ db: 'chromium', scenario: `drag a node, ${NODES} nodes`, metric: 'interval between frames, median', value: summarize(probe.intervals).p50, unit: 'ms' });
    await context.close();

    const load = os.loadavg()[0]!;
    console.log(`\nDesigner (${NODES}-node workflow, Chromium ${browser.version()}, ${os.cpus().length} cores, load ${load.toFixed(1)})\n`);
    console.log(report.render());
    if (report.failures.length) console.log(`\n${report.failures.length} target(s) missed: ${report.failures.map((f) => `${f.scenario} ${f.metric}`).join('; ')}`);
    if (process.env.SPINE_BENCH_STRICT === '1' && report.failures.length) process.exitCode = 1;
  } finally {
    await browser.close();
    spine.child.kill('SIGTERM');
    await new Promise((r) => spine.child.once('exit', r));
    rmSync(spine.dir, { recursive: true, force: true });
  }
}

await main();
