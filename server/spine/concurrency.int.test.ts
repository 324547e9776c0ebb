/**
 * Ordering under load: 8 concurrent writers × 2,000 appends while 2 subscribers tail from seq 1. Each
 * subscriber must see exactly 16,000 events, seq strictly increasing by one, none missing, none twice.
 * On PostgreSQL the writers are 3 separate processes sharing the database (wake-ups cross by NOTIFY).
 * The bound is on progress, not on total time: the test fails when the subscribers see no new event for
 * STALL_MS (a lost wake-up or a deadlock), however long a busy machine takes for all 16,000.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openSpine, type Spine, type SpineEvent } from '@/server/spine';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { spawnTs, waitForLine } from '@/server/testing/processes';

const WRITERS = 8;
const PER_WRITER = 2000;
const TOTAL = WRITERS * PER_WRITER;
const STALL_MS = 60_000;

async function tail(spine: Spine, n: number, out: SpineEvent[] = []): Promise<SpineEvent[]> {
  for await (const e of spine.subscribe({ fromSeq: 1, types: ['load.*'] })) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

/** Resolves with `work`, or rejects once `progress()` has not changed for `stallMs`. */
async function unlessStalled<T>(work: Promise<T>, progress: () => number, stallMs: number, what: string): Promise<T> {
  let last = progress();
  let lastChange = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = progress();
      if (now !== last) [last, lastChange] = [now, Date.now()];
      else if (Date.now() - lastChange > stallMs) reject(new Error(`${what}: no progress for ${stallMs} ms (stuck at ${now})`));
    }, 1000);
  });
  try {
    return await Promise.race([work, stalled]);
  } finally {
    clearInterval(timer);
  }
}

function expectGapless(events: SpineEvent[]) {
  expect(events).toHaveLength(TOTAL);
  let broken = -1;
  for (let i = 0; i < events.length; i++) if (events[i]!.seq !== i + 1) {
    broken = i;
    break;
  }
  expect(broken).toBe(-1);
}

describe(`concurrent writers and tailing subscribers (${testDbKind()})`, () => {
  const spines: Spine[] = [];
  afterEach(async () => {
    for (const s of spines.splice(0)) await s.close();
  });

  it(`${WRITERS} writers × ${PER_WRITER} appends: each of 2 subscribers sees ${TOTAL} events, gapless, in order`, async () => {
    const url = await freshDatabaseUrl();
    const spine = await openSpine({ databaseUrl: url });
    spines.push(spine);
    const seen: [SpineEvent[], SpineEvent[]] = [[], []];
    const subscribers = [tail(spine, TOTAL, seen[0]), tail(spine, TOTAL, seen[1])];
    const progress = () => seen[0].length + seen[1].length;
    if (spine.dialect === 'sqlite') {
      await unlessStalled(Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          for (let i = 0; i < PER_WRITER; i++) await spine.publish({ type: 'load.appended', key: `w-${w}`, payload: { w, i } });
        }),
      ), progress, STALL_MS, 'writers');
    } else {
      const split = [3, 3, 2];
      const children = split.map((writers, p) => spawnTs('server/testing/appendWorker.ts', [String(writers), String(PER_WRITER), `p${p}`], { DATABASE_URL: url }));
      try {
        const done = await unlessStalled(Promise.all(children.map((c) => waitForLine(c, /done (\d+)/, 3_600_000))), progress, STALL_MS, 'writer processes');
        expect(done.map((m) => Number(m[1]))).toEqual(split.map((w) => w * PER_WRITER));
      } finally {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    const [a, b] = await unlessStalled(Promise.all(subscribers), progress, STALL_MS, 'subscribers');
    expectGapless(a!);
    expectGapless(b!);
    // Per-writer order is preserved inside the global order.
    const lastIndex = new Map<string, number>();
    for (const e of a!) {
      const p = e.payload as { i: number };
      const prev = lastIndex.get(e.key!) ?? -1;
      expect(p.i).toBe(prev + 1);
      lastIndex.set(e.key!, p.i);
    }
    expect(await spine.verify()).toMatchObject({ ok: true, checked: TOTAL });
  }, 1_200_000);

  it.runIf(testDbKind() === 'postgres')('an event appended by another process reaches a subscriber here within 100 ms', async () => {
    const url = await freshDatabaseUrl();
    const spine = await openSpine({ databaseUrl: url });
    spines.push(spine);
    const N = 40;
    const latencies: number[] = [];
    const receiving = (async () => {
      for await (const e of spine.subscribe({ types: ['load.*'] })) {
        latencies.push(Date.now() - (e.payload as { sentAt: number }).sentAt);
        if (latencies.length === N) break;
      }
    })();
    const child = spawnTs('server/testing/appendWorker.ts', ['1', String(N), 'x'], { DATABASE_URL: url });
    await waitForLine(child, /done/, 60_000);
    await receiving;
    latencies.sort((x, y) => x - y);
    const p95 = latencies[Math.floor(N * 0.95)]!;
    console.log(`cross-process delivery: p50 ${latencies[N >> 1]} ms, p95 ${p95} ms, max ${latencies[N - 1]} ms`);
    expect(p95).toBeLessThan(100);
  }, 90_000);
});
