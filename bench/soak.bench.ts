/**
 * Memory soak (issue 15): the engine bench's (a) scenario (legal-case workflow, zero-work builtin agents,
 * SQLite synchronous=FULL) kept at 200 runs in flight for SPINE_BENCH_SOAK_MINUTES (30), while completed
 * runs pile up in the log. Every minute it prints the runs done, runs/s, the peak RSS of that minute, the V8
 * heap's size at its end (garbage included) and the live heap right after a full GC (what the process
 * retains, garbage left out). The verdict compares the
 * first and the last fifth of the soak: memory is flat when neither the peak RSS nor the live heap of the
 * last fifth is more than 10 % above the first's.
 *
 *   npm run bench:soak                            # 30 minutes
 *   SPINE_BENCH_SOAK_MINUTES=3 npm run bench:soak # a quick look
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openSpine } from '@/server/spine';
import { createDb } from '@/server/db/client';
import { startEngine } from '@/server/engine';
import { seedDemo } from '@/server/demo/seed';
import { caseDocument } from './floor/minimalEngine';
import { RssSampler, envInt, log, now } from './support';

const MINUTES = envInt('SPINE_BENCH_SOAK_MINUTES', 30);
const IN_FLIGHT = envInt('SPINE_BENCH_CONCURRENT', 200);
const AGENTS = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment', 'summarizer'];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mib = (bytes: number) => bytes / 2 ** 20;

type Minute = { minute: number; runs: number; runsPerSec: number; peakRssMiB: number; heapMiB: number; liveHeapMiB: number; logEvents: number };

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-soak-'));
  const url = `file:${path.join(dir, 'soak.db')}`;
  const spine = await openSpine({ databaseUrl: url });
  const db = createDb(url);
  const ended = new Map<string, () => void>();
  const done = new Set<string>();
  const service = await startEngine({ spine, db, databaseUrl: url, onRunEnded: (s) => (ended.get(s.runId) ? ended.get(s.runId)!() : done.add(s.runId)) });
  await service.leading();
  await seedDemo(service, { latency: false, config: Object.fromEntries(AGENTS.map((a) => [a, { latencyMs: 0, behaviour: a === 'regulatory-risk' ? 'precedent' : a }])) });

  let runs = 0;
  const oneRun = async (i: number) => {
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const { runId } = await service.core.startRun({ workflowId: 'legal-case-analysis', input: caseDocument(i), startedBy: 'soak' });
    if (!done.delete(runId)) {
      ended.set(runId, finish);
      await finished;
      ended.delete(runId);
    }
    runs++;
  };

  const rss = new RssSampler();
  const minutes: Minute[] = [];
  const end = now() + MINUTES * 60_000;
  let next = 0;
  const workers = Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (now() < end) await oneRun(next++);
  }));
  log(`soak: ${IN_FLIGHT} runs in flight for ${MINUTES} min`);
  console.log('minute  runs done  runs/s  peak RSS MiB  V8 heap MiB  live heap MiB  events in log');
  for (let m = 1, before = 0; m <= MINUTES; m++) {
    const t0 = now();
    await new Promise((r) => setTimeout(r, Math.max(0, end - (MINUTES - m) * 60_000 - t0)));
    const peakRssMiB = rss.takePeak();
    const heapMiB = mib(process.memoryUsage().heapTotal);
    gc();
    const row: Minute = { minute: m, runs, runsPerSec: (runs - before) / ((now() - t0) / 1000), peakRssMiB, heapMiB, liveHeapMiB: mib(process.memoryUsage().heapUsed), logEvents: await spine.head() };
    before = runs;
    minutes.push(row);
    console.log(`${String(m).padStart(6)}  ${String(row.runs).padStart(9)}  ${row.runsPerSec.toFixed(0).padStart(6)}  ${row.peakRssMiB.toFixed(1).padStart(12)}  ${row.heapMiB.toFixed(1).padStart(11)}  ${row.liveHeapMiB.toFixed(1).padStart(13)}  ${String(row.logEvents).padStart(13)}`);
  }
  await workers;
  rss.stop();

  const fifth = Math.max(1, Math.floor(minutes.length / 5));
  const avg = (rows: Minute[], f: (r: Minute) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  // The first minute holds the start (code being compiled, caches filling): it is left out of the first fifth.
  const first = minutes.length > fifth + 1 ? minutes.slice(1, fifth + 1) : minutes.slice(0, fifth);
  const last = minutes.slice(-fifth);
  const growth = (f: (r: Minute) => number) => avg(last, f) / avg(first, f) - 1;
  const rssGrowth = growth((r) => r.peakRssMiB);
  const heapGrowth = growth((r) => r.liveHeapMiB);
  console.log(`\n${runs} runs in ${MINUTES} min; first fifth vs last fifth: peak RSS ${avg(first, (r) => r.peakRssMiB).toFixed(1)} → ${avg(last, (r) => r.peakRssMiB).toFixed(1)} MiB (${(rssGrowth * 100).toFixed(1)} %), live heap ${avg(first, (r) => r.liveHeapMiB).toFixed(1)} → ${avg(last, (r) => r.liveHeapMiB).toFixed(1)} MiB (${(heapGrowth * 100).toFixed(1)} %)`);
  console.log(rssGrowth <= 0.1 && heapGrowth <= 0.1 ? 'PASS: memory flat as completed runs accumulate' : 'FAIL: memory grows as completed runs accumulate');

  await service.stop();
  await db.$disconnect();
  await spine.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

void main();
