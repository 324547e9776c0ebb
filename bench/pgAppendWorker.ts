/**
 * One writer process of the multi-process PostgreSQL benchmark. Opens its own Spine on DATABASE_URL,
 * warms up, prints `ready`, waits for `go` on stdin (so every process starts measuring together), then
 * runs `appenders` concurrent loops of `count` awaited publishes each and prints one `result {json}` line:
 * wall-clock start/end (ms since the epoch, sub-ms precision), events appended, latency percentiles and
 * peak RSS. Exits non-zero on any failed append. With SPINE_BENCH_PG_TRACE=1 the result also carries
 * the lock wait / lock hold trace of this process's write transactions (see pgTrace.ts).
 *
 * Usage: DATABASE_URL=postgresql://... tsx bench/pgAppendWorker.ts <appenders> <count> <label>
 */
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { openSpine } from '@/server/spine';
import { tracePool } from './pgTrace';
import { envFlag, maxRssMiB, summarize, workloadEvent } from './support';

const appenders = Number(process.argv[2]);
const count = Number(process.argv[3]);
const label = process.argv[4] ?? 'w';
const wallNow = () => performance.timeOrigin + performance.now();

const spine = await openSpine({ databaseUrl: process.env.DATABASE_URL!, migrate: false });
for (let i = 0; i < 200; i++) await spine.publish(workloadEvent(i, `${label}-warm`));

const trace = envFlag('SPINE_BENCH_PG_TRACE', false) ? tracePool((spine.log as unknown as { pool: pg.Pool }).pool) : undefined;

const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.on('line', (l) => l.trim() === 'go' && resolve()));
console.log('ready');
await go;
lines.close();

const latencies = new Float64Array(appenders * count);
const start = wallNow();
await Promise.all(
  Array.from({ length: appenders }, async (_, w) => {
    for (let i = 0; i < count; i++) {
      const n = w * count + i;
      const t0 = performance.now();
      await spine.publish(workloadEvent(n, label));
      latencies[n] = performance.now() - t0;
    }
  }),
);
const end = wallNow();
await spine.close();
const s = summarize(latencies);
console.log(`result ${JSON.stringify({ label, start, end, events: latencies.length, p50: s.p50, p99: s.p99, maxRssMiB: maxRssMiB(), trace: trace?.() })}`);
