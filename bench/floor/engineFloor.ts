/**
 * Measures the floor engine (minimalEngine.ts) the way engine.bench.ts measures Spine's: single runs one
 * at a time (after a warm-up) for p50/p99, then runs/s with CONCURRENT runs in flight, CPU ms per run
 * (process.cpuUsage over the concurrent phase) and peak RSS. Run as a child process of engine.bench.ts
 * (`node --import tsx bench/floor/engineFloor.ts`), so its RSS and CPU are its own, not Spine's loaded
 * modules'. Prints one JSON line (`FloorEngineResult`) on stdout.
 *
 * Env: FLOOR_WORK_MS (agent work, 0 or 20), FLOOR_DIR (where the database goes), FLOOR_SYNCHRONOUS,
 * and the bench's SPINE_BENCH_SINGLE_RUNS / SPINE_BENCH_CONCURRENT / SPINE_BENCH_CONCURRENT_TOTAL.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { GroupCommitLog, MinimalEngine, caseDocument, floorAgents } from './minimalEngine';
import { RssSampler, envInt, now, summarize } from '../support';

export type FloorEngineResult = { p50: number; p99: number; runsPerSec: number; cpuMsPerRun: number; peakRssMiB: number; eventsPerRun: number };

async function main() {
  const workMs = Number(process.env.FLOOR_WORK_MS ?? 0);
  const file = path.join(process.env.FLOOR_DIR ?? '/tmp', `floor-engine-${process.pid}.db`);
  const synchronous = process.env.FLOOR_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL';
  const single = envInt('SPINE_BENCH_SINGLE_RUNS', 150);
  const concurrent = envInt('SPINE_BENCH_CONCURRENT', 200);
  const total = envInt('SPINE_BENCH_CONCURRENT_TOTAL', 1000);
  const rss = new RssSampler();
  const log = new GroupCommitLog(file, synchronous);
  const engine = new MinimalEngine(log, floorAgents(workMs));
  const oneRun = async (i: number) => {
    const t0 = now();
    const { ended } = await engine.start(caseDocument(i));
    await ended;
    return now() - t0;
  };
  try {
    for (let i = 0; i < 10; i++) await oneRun(i);
    const lat: number[] = [];
    for (let i = 0; i < single; i++) lat.push(await oneRun(i));
    const s = summarize(lat);
    const headBefore = await log.append([]);
    rss.takePeak();
    const cpu0 = process.cpuUsage();
    const t0 = now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrent }, async () => {
      while (next < total) await oneRun(next++);
    }));
    const secs = (now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const events = (await log.append([])) - headBefore;
    const result: FloorEngineResult = { p50: s.p50, p99: s.p99, runsPerSec: total / secs, cpuMsPerRun: (cpu.user + cpu.system) / 1000 / total, peakRssMiB: rss.takePeak(), eventsPerRun: events / total };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rss.stop();
    log.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
}

void main();
