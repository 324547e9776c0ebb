/**
 * Seeds a database for the dashboard benchmark: the demo workflows published, 5,000 runs of them and
 * 100,000 events in all.
 *
 * Runs are the engine's recorded histories (server/engine/__fixtures__/*.jsonl: the article's five
 * scenarios, with retries, a stale re-run, approvals and a key queue) replayed under fresh run ids
 * against the seeded workflows, interleaved as concurrent runs would be, through the spine's normal
 * append path (so the run index, envelopes and the hash chain are exactly what the engine would leave).
 * About one run in fifty stops at its approval and stays waiting. Agent traffic between runs (case,
 * inventory and booking events) makes up the rest of the 100,000.
 *
 *   npx tsx bench/seedDashboard.ts [file]      default bench/results/dashboard.db
 *   SPINE_BENCH_RUNS=5000 SPINE_BENCH_TOTAL_EVENTS=100000
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openSpine, type EventInput, type Spine, type SpineEvent } from '@/server/spine';
import { createDb } from '@/server/db/client';
import { startEngine } from '@/server/engine';
import { seedDemo } from '@/server/demo/seed';
import { envInt } from './support';

const FIXTURES = path.join(import.meta.dirname, '../server/engine/__fixtures__');
export const DEFAULT_DASHBOARD_DB = path.join(import.meta.dirname, 'results', 'dashboard.db');

type Template = { slug: string; events: SpineEvent[]; waitAt: number | null };

function templates(): Template[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => {
      const events = readFileSync(path.join(FIXTURES, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpineEvent);
      const slug = (events[0]!.payload as { workflowSlug: string }).workflowSlug;
      const approval = events.findIndex((e) => e.type === 'approval.requested');
      // Stop after the approval request and its SLA timer: the run waits for a person.
      const waitAt = approval === -1 ? null : events.findIndex((e, i) => i > approval && e.type !== 'timer.scheduled');
      return { slug, events, waitAt: waitAt === -1 ? null : waitAt };
    });
}

/** A fixture's events as inputs for a new run: new run id, the seeded workflow id, fresh keys. */
function replay(t: Template, workflowId: string, n: number, waiting: boolean): EventInput[] {
  const oldRun = t.events[0]!.runId!;
  const oldWorkflow = (t.events[0]!.payload as { workflowId: string }).workflowId;
  const runId = randomUUID();
  const events = waiting && t.waitAt !== null ? t.events.slice(0, t.waitAt) : t.events;
  const swap = (s: string) => s.split(oldRun).join(runId).split(oldWorkflow).join(workflowId);
  return events.map((e) => ({
    type: e.type,
    runId,
    ...(e.key && { key: `${e.key}-${n}` }),
    source: e.source,
    payload: JSON.parse(swap(JSON.stringify(e.payload))),
    ...(e.idempotencyKey && { idempotencyKey: swap(e.idempotencyKey) }),
  }));
}

const CUSTOMERS = ['Acme Travel', 'Nordwind GmbH', 'Blue Harbor Hotels', 'Kestrel Logistics', 'Mira Health'];

function traffic(i: number): EventInput {
  const n = 10_000 + Math.floor(i / 3);
  const key = `case:${n}`;
  switch (i % 3) {
    case 0:
      return { type: 'case.opened', key, source: { kind: 'agent', name: 'demo-intake' }, payload: { caseNumber: n, customer: CUSTOMERS[n % 5]!, subject: `Rebook LH ${400 + (n % 90)} FRA→SFO`, priority: n % 4 ? 'normal' : 'high' } };
    case 1:
      return { type: 'inventory.checked', key, source: { kind: 'agent', name: 'demo-inventory' }, payload: { flight: `LH ${400 + (n % 90)}`, seatsRequested: 1 + (n % 3), available: n % 7 !== 0, seatsLeft: n % 9 } };
    default:
      return { type: 'booking.requested', key, source: { kind: 'agent', name: 'demo-booking' }, payload: { flight: `LH ${400 + (n % 90)}`, seats: 1 + (n % 3), fare: { currency: 'EUR', amount: 180 + (n % 400) } } };
  }
}

/** Seeds `file` (replacing it). Returns the ids of a few runs for the benchmark to open. */
export async function seedDashboard(file: string, opts: { runs?: number; totalEvents?: number; log?: (s: string) => void } = {}): Promise<{ runs: number; events: number; sampleRun: string; sampleWaiting: string | null }> {
  const runs = opts.runs ?? envInt('SPINE_BENCH_RUNS', 5000);
  const total = opts.totalEvents ?? envInt('SPINE_BENCH_TOTAL_EVENTS', 100_000);
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  mkdirSync(path.dirname(file), { recursive: true });
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) rmSync(f);
  const url = `file:${file}`;
  const spine: Spine = await openSpine({ databaseUrl: url, synchronous: 'NORMAL' });
  const db = createDb(url);
  const service = await startEngine({ spine, db, run: false, databaseUrl: url });
  try {
    await seedDemo(service, { latency: false });
    const ids = new Map<string, string>();
    for (const w of await service.workflows.list({ includeArchived: true })) ids.set(w.slug, w.id);
    const ts = templates();
    let sampleRun = '';
    let sampleWaiting: string | null = null;
    const pending: EventInput[][] = [];
    for (let r = 0; r < runs; r++) {
      const t = ts[r % ts.length]!;
      const waiting = t.waitAt !== null && r % 50 === 3;
      const events = replay(t, ids.get(t.slug)!, r, waiting);
      if (t.slug === 'legal-case-analysis' && !waiting) sampleRun = events[0]!.runId!;
      if (waiting && !sampleWaiting) sampleWaiting = events[0]!.runId!;
      pending.push(events);
    }
    const runEvents = pending.reduce((a, e) => a + e.length, 0);
    const fillers = Math.max(0, total - runEvents - (await spine.head()));
    log(`seeding ${runs} runs (${runEvents} events) and ${fillers} agent events into ${file}`);
    // Interleave: a few runs at a time in flight, with agent traffic between them, ≤ 1000 events per append.
    let filler = 0;
    const perRunFiller = fillers / runs;
    let batch: EventInput[] = [];
    const flush = async () => {
      if (batch.length) await spine.append(batch);
      batch = [];
    };
    for (let g = 0; g < pending.length; g += 8) {
      const group = pending.slice(g, g + 8);
      const longest = Math.max(...group.map((x) => x.length));
      for (let step = 0; step < longest; step++) {
        for (const events of group) if (events[step]) batch.push(events[step]!);
        while (filler < Math.round((g + (group.length * (step + 1)) / longest) * perRunFiller)) batch.push(traffic(filler++));
        if (batch.length > 900) await flush();
      }
      if (g % 800 === 0) log(`  ${g} runs…`);
    }
    while (filler < fillers) {
      batch.push(traffic(filler++));
      if (batch.length > 900) await flush();
    }
    await flush();
    const events = await spine.head();
    log(`seeded: ${events} events, ${runs} runs`);
    return { runs, events, sampleRun, sampleWaiting };
  } finally {
    await service.stop();
    await db.$disconnect();
    await spine.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const file = path.resolve(process.argv[2] ?? DEFAULT_DASHBOARD_DB);
  seedDashboard(file)
    .then((r) => console.log(JSON.stringify(r)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
