/**
 * Shared pieces of the Spine benchmarks: the workload (realistic ~300-byte agent events), latency
 * statistics, a peak-RSS sampler, configuration from the environment and the result table.
 *
 * The workload is deterministic (event i always has the same shape and size), so the raw-SQLite floor
 * and every Spine scenario store the same rows.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { EventInput } from '@/server/spine';

// ---------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

export function envFlag(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return raw === '1' || raw.toLowerCase() === 'true' || raw.toLowerCase() === 'yes';
}

// ---------------------------------------------------------------------------------------------------------
// Workload
// ---------------------------------------------------------------------------------------------------------

/** Runs the workload's events belong to; each is opened (run.started) before measuring. */
export const RUN_COUNT = 50;
export const runIdFor = (i: number) => `run-${i % RUN_COUNT}`;

const AGENTS = ['researcher', 'planner', 'critic', 'writer', 'coder', 'reviewer'] as const;
const MODELS = ['gpt-4o-mini', 'llama-3.1-70b', 'qwen2.5-32b', 'mistral-large'] as const;
const TOOLS = ['web.search', 'kb.lookup', 'code.run', 'sql.query'] as const;
const WORDS = 'the agent compared three sources and found the deadline constraint conflicts with budget so it proposes a staged rollout'.split(' ');

function sentence(i: number, words: number): string {
  const out: string[] = [];
  for (let k = 0; k < words; k++) out.push(WORDS[(i * 7 + k * 3) % WORDS.length]!);
  return out.join(' ');
}

/** A `task.completed` event as an agent would publish it: ~300-400 bytes of JSON payload. */
export function workloadEvent(i: number, tag = 'bench'): EventInput {
  const agent = AGENTS[i % AGENTS.length]!;
  return {
    type: 'task.completed',
    key: `case:${i % 1000}`,
    runId: runIdFor(i),
    causationId: `evt-${tag}-${i}`,
    source: { kind: 'agent', name: agent },
    payload: {
      n: i,
      nodeId: `agent-${i % 12}`,
      attempt: 1 + (i % 3),
      durationMs: 200 + ((i * 37) % 4000),
      output: {
        summary: sentence(i, 18),
        confidence: Math.round(((i * 13) % 100) / 10) / 10,
        citations: [`https://kb.example.com/doc/${i % 977}`, `https://kb.example.com/doc/${(i * 7) % 977}`],
      },
      usage: { model: MODELS[i % MODELS.length]!, promptTokens: 600 + (i % 900), completionTokens: 40 + (i % 300) },
      toolCalls: [{ name: TOOLS[i % TOOLS.length]!, ok: i % 17 !== 0, ms: 10 + (i % 250) }],
    },
  };
}

/** The run-opening events that give the workload's runs an envelope (version 1). */
export function runOpenings(tag = 'bench'): EventInput[] {
  return Array.from({ length: RUN_COUNT }, (_, r) => ({
    type: 'run.started',
    runId: `run-${r}`,
    source: { kind: 'system' as const, name: tag },
    payload: { intent: `benchmark run ${r}`, constraints: { budgetUsd: 5 }, state: { step: 0 } },
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------------------

export type LatencySummary = { count: number; p50: number; p90: number; p99: number; max: number; mean: number };

/** Nearest-rank percentiles over milliseconds. */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const a = Float64Array.from(samples).sort();
  const n = a.length;
  if (n === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const at = (p: number) => a[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  let sum = 0;
  for (const x of a) sum += x;
  return { count: n, p50: at(50), p90: at(90), p99: at(99), max: a[n - 1]!, mean: sum / n };
}

/** Samples process RSS so each phase can report its own peak; `maxRss` is the process-lifetime peak. */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 10) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  sample() {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  /** Peak since the last reset, in MiB. */
  takePeak(): number {
    this.sample();
    const p = this.peak;
    this.peak = 0;
    return p / 2 ** 20;
  }

  stop() {
    clearInterval(this.timer);
  }
}

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** V8 heap in use after a full collection, in MiB: what is actually retained (RSS also counts garbage). */
export function heapAfterGcMiB(): number {
  collect();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Process-lifetime peak RSS in MiB (getrusage ru_maxrss). */
export const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;

// ---------------------------------------------------------------------------------------------------------
// Result table
// ---------------------------------------------------------------------------------------------------------

/** `ratio`: the target applies to value / floor (the figure's floor measured in the same run), not to value. */
export type Target = { op: '>=' | '<='; value: number; ratio?: boolean };

export type Figure = {
  db: string;
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  target?: Target;
  pass?: boolean;
  note?: string;
  /** The same figure for the floor of this run (bench/floor/), shown beside it with the ratio value / floor. */
  floor?: number;
};

export class Report {
  readonly figures: Figure[] = [];

  add(f: Omit<Figure, 'pass'>): Figure {
    const x = f.target?.ratio ? f.value / (f.floor ?? NaN) : f.value;
    const pass = f.target ? (f.target.op === '>=' ? x >= f.target.value : x <= f.target.value) : undefined;
    const fig = { ...f, pass };
    this.figures.push(fig);
    return fig;
  }

  get failures(): Figure[] {
    return this.figures.filter((f) => f.pass === false);
  }

  /** The table; with `floor` and `ratio` columns when any figure has a floor. */
  render(): string {
    const floors = this.figures.some((f) => f.floor !== undefined);
    const rows = this.figures.map((f) => [
      f.db,
      f.scenario,
      f.metric,
      `${formatNumber(f.value)} ${f.unit}`,
      ...(floors ? [f.floor === undefined ? '-' : `${formatNumber(f.floor)} ${f.unit}`, f.floor === undefined ? '-' : `${formatNumber(f.value / f.floor)}x`] : []),
      !f.target ? '-' : f.target.ratio ? `${f.target.op} ${formatNumber(f.target.value)}x floor` : `${f.target.op} ${formatNumber(f.target.value)} ${f.unit}`,
      f.pass === undefined ? 'info' : f.pass ? 'PASS' : 'FAIL',
    ]);
    const head = ['database', 'scenario', 'metric', 'value', ...(floors ? ['floor', 'ratio'] : []), 'target', 'result'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const right = (c: number) => c >= 3 && c < head.length - 1;
    const line = (cells: string[]) => cells.map((s, c) => (right(c) ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ');
    const rule = widths.map((w) => '-'.repeat(w)).join('  ');
    const out = [line(head), rule];
    let lastDb = '';
    for (const [i, r] of rows.entries()) {
      if (i > 0 && this.figures[i]!.db !== lastDb) out.push(rule);
      lastDb = this.figures[i]!.db;
      out.push(line(r));
    }
    return out.join('\n');
  }
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export const now = () => performance.now();

export function log(msg: string) {
  process.stderr.write(`[bench] ${msg}\n`);
}

/**
 * The disk's durable-write cost right now: `n` 4 KiB appends to a file in `dir`, each followed by
 * fdatasync (what a WAL commit under synchronous=FULL pays at least once). On a shared machine this
 * moves with other processes' I/O, so it is printed with the results.
 */
export function probeFdatasync(dir: string, n = 200): LatencySummary {
  const file = `${dir}/fsync-probe`;
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const lat = new Float64Array(n);
  try {
    for (let i = 0; i < n; i++) {
      const t = now();
      writeSync(fd, block);
      fdatasyncSync(fd);
      lat[i] = now() - t;
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return summarize(lat);
}

/** Machine-wide CPU counters (Linux /proc/stat), to report how busy the machine was during a run. */
export function cpuCounters(): number[] | undefined {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  } catch {
    return undefined;
  }
}

/** Share of all cores' time between two snapshots: busy (not idle/iowait) and stolen by the hypervisor. */
export function cpuShares(a: number[] | undefined, b: number[] | undefined): { busyPct: number; stealPct: number } | undefined {
  if (!a || !b) return undefined;
  const d = b.map((x, i) => x - a[i]!);
  const total = d.reduce((x, y) => x + y, 0);
  if (total <= 0) return undefined;
  const idle = d[3]! + d[4]!;
  return { busyPct: (100 * (total - idle - d[7]!)) / total, stealPct: (100 * d[7]!) / total };
}
