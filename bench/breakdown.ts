/**
 * Where an append's time goes on SQLite: a diagnostic companion to spine.bench.ts (not part of
 * `npm run bench`). With the benchmark's workload and batches of B events (B = the appender count, the
 * batch size group commit reaches with B closed-loop appenders), it times each stage of the SQLite
 * log's write transaction, replayed stage by stage with the same SQL:
 *
 *   validate (prepareInputs: zod + canonical JSON, one call per publish)
 *   BEGIN IMMEDIATE → read head → read idempotency keys / envelopes of the batch's runs
 *   → plan (planBatch: uuid v7, sha256 chain, event objects) → insert rows → move head → COMMIT (WAL sync)
 *
 * and then the whole Spine path at synchronous OFF / NORMAL / FULL, split into time inside the
 * commit callback and outside it (group-commit scheduling, promises, publish wrappers, GC).
 *
 * Each figure is reported as wall time and as this process's CPU time (user+sys from process.cpuUsage),
 * per event. On a shared machine wall time includes waiting for a core (other processes, hypervisor
 * steal); CPU time does not, so CPU time is the stable figure for the CPU stages and wall - CPU for a
 * stage that should be CPU-bound means contention, for COMMIT it means waiting for the disk.
 *
 * Usage: npx tsx bench/breakdown.ts   (SPINE_BENCH_EVENTS default 20000, SPINE_BENCH_APPENDERS default 64)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { openSpine } from '@/server/spine';
import { openSqliteDatabase } from '@/server/db/sqlite';
import { loadMigrations } from '@/server/db/migrate';
import { prepareInputs, DEFAULT_MAX_PAYLOAD_BYTES } from '@/server/spine/log/eventLog';
import { keysNeeded, planBatch, type PreparedEvent, type StoredRow } from '@/server/spine/log/sequencer';
import { canonicalJson, hashRow } from '@/server/spine/log/hashChain';
import { EventInput } from '@/server/spine/events';
import { EVENT_COLUMNS, type EnvelopeRow } from '@/server/spine/log/rows';
import { envelopeFromRow } from '@/server/spine/log/rows';
import type { EnvelopeRecord } from '@/server/spine/envelope';
import { envInt, formatNumber, now, probeFdatasync, runOpenings, workloadEvent } from './support';

const N = envInt('SPINE_BENCH_EVENTS', 20_000);
const B = envInt('SPINE_BENCH_APPENDERS', 64);
const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-breakdown-'));

/** Wall and CPU milliseconds, accumulated over calls. */
class Clock {
  wall = 0;
  cpu = 0;
  time<T>(fn: () => T): T {
    const w = now();
    const c = process.cpuUsage();
    try {
      return fn();
    } finally {
      const d = process.cpuUsage(c);
      this.cpu += (d.user + d.system) / 1000;
      this.wall += now() - w;
    }
  }
  per(n: number) {
    return `${((this.wall * 1000) / n).toFixed(1).padStart(6)} µs wall  ${((this.cpu * 1000) / n).toFixed(1).padStart(6)} µs cpu`;
  }
}

const lines: Array<[string, string]> = [];
const line = (label: string, value: string) => {
  lines.push([label, value]);
  process.stderr.write(`${label}: ${value}\n`);
};

/** Best of `reps` runs (least disturbed by other processes). */
function best(reps: number, run: () => Clock): Clock {
  let keep: Clock | undefined;
  for (let r = 0; r < reps; r++) {
    const c = run();
    if (!keep || c.wall < keep.wall) keep = c;
  }
  return keep!;
}

function freshDb(name: string, synchronous: string) {
  const db = openSqliteDatabase(path.join(dir, name), synchronous as 'FULL');
  for (const m of loadMigrations('sqlite')) db.exec(m.sql);
  return db;
}

try {
  const disk = probeFdatasync(dir);
  line('disk: 4 KiB append + fdatasync p50 / p99', `${disk.p50.toFixed(2)} / ${disk.p99.toFixed(2)} ms`);

  // ---- CPU-only stages -------------------------------------------------------------------------------------
  const inputs = Array.from({ length: N }, (_, i) => workloadEvent(i, 'bd'));
  for (let i = 0; i < 3000; i++) prepareInputs([inputs[i]!], DEFAULT_MAX_PAYLOAD_BYTES);
  const perCall = <T>(label: string, fn: (i: number) => T) => {
    const c = best(3, () => {
      const k = new Clock();
      k.time(() => { for (let i = 0; i < N; i++) fn(i); });
      return k;
    });
    line(label, c.per(N));
  };
  perCall('validate: prepareInputs (1 event per call)', (i) => prepareInputs([inputs[i]!], DEFAULT_MAX_PAYLOAD_BYTES));
  perCall('  EventInput.safeParse (zod; payload via z.json)', (i) => EventInput.safeParse(inputs[i]));
  perCall('  canonicalJson(payload)', (i) => canonicalJson(inputs[i]!.payload));
  perCall('  JSON.stringify(payload) (for comparison)', (i) => JSON.stringify(inputs[i]!.payload));
  perCall('uuid v7 (uuid package: getRandomValues per id)', () => uuidv7());
  perCall('crypto.randomUUID (pooled entropy, for comparison)', () => crypto.randomUUID());

  // ---- The write transaction, replayed stage by stage ------------------------------------------------------
  const prepared: PreparedEvent[][] = inputs.map((e) => prepareInputs([e], DEFAULT_MAX_PAYLOAD_BYTES));
  const txStages = (sync: string) => {
    const db = freshDb(`stages-${sync}-${Math.random()}.db`, sync);
    const s = {
      head: db.prepare('SELECT seq, hash FROM spine_head WHERE id = 1'),
      moveHead: db.prepare('UPDATE spine_head SET seq = ?, hash = ? WHERE id = 1'),
      insert: db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (@seq, @id, @type, @key, @runId, @causationId, @sourceKind, @sourceName, @timeMs, @envelopeVersion, @payload, @idempotencyKey, @prevHash, @hash)`),
      byIdem: db.prepare('SELECT seq, id FROM events WHERE idempotency_key = ?'),
      envelope: db.prepare('SELECT * FROM envelopes WHERE run_id = ?'),
      openEnvelope: db.prepare(`INSERT INTO envelopes (run_id, intent, constraints, deadline_ms, state, version, opened_seq, updated_seq) VALUES (?, ?, '{"budgetUsd":5}', NULL, '{"step":0}', 1, 0, 0)`),
    };
    for (let r = 0; r < 50; r++) s.openEnvelope.run(`run-${r}`, `benchmark run ${r}`);
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const st = { begin: new Clock(), lookups: new Clock(), plan: new Clock(), insert: new Clock(), head: new Clock(), commit: new Clock() };
    for (let i = 0; i < N; i += B) {
      const batch = prepared.slice(i, i + B);
      st.begin.time(() => begin.run());
      const ctx = st.lookups.time(() => {
        const head = s.head.get() as { seq: number; hash: string };
        const { idempotencyKeys, runIds } = keysNeeded(batch);
        const existing = new Map<string, { seq: number; id: string }>();
        for (const k of idempotencyKeys) {
          const hit = s.byIdem.get(k) as { seq: number; id: string } | undefined;
          if (hit) existing.set(k, hit);
        }
        const envelopes = new Map<string, EnvelopeRecord & { openedSeq: number; updatedSeq: number }>();
        for (const runId of runIds) {
          const row = s.envelope.get(runId) as EnvelopeRow | undefined;
          if (row) envelopes.set(runId, envelopeFromRow(row));
        }
        return { head, existing, envelopes };
      });
      const plan = st.plan.time(() => planBatch({ seq: Number(ctx.head.seq), hash: ctx.head.hash }, batch, { existing: ctx.existing, envelopes: ctx.envelopes, nowMs: Date.now() }));
      st.insert.time(() => { for (const r of plan.rows) s.insert.run(r); });
      st.head.time(() => s.moveHead.run(plan.head.seq, plan.head.hash));
      st.commit.time(() => commit.run());
    }
    db.close();
    return st;
  };
  for (const sync of ['OFF', 'FULL']) {
    txStages(sync); // warm-up
    const st = txStages(sync);
    const txs = Math.ceil(N / B);
    line(`tx stages, synchronous=${sync}, ${B}-event batches:`, '');
    line('  BEGIN IMMEDIATE', st.begin.per(N));
    line(`  read head + envelopes of the batch's runs (${Math.min(B, 50)} runs)`, st.lookups.per(N));
    line('  planBatch (uuid v7, sha256 chain, event objects)', st.plan.per(N));
    line('  insert rows (named-parameter INSERT, 5 indexes)', st.insert.per(N));
    line('  move head', st.head.per(N));
    line('  COMMIT', `${st.commit.per(N)}  (${(st.commit.wall / txs).toFixed(2)} ms wall per tx)`);
    const all = Object.values(st).reduce((a, c) => ({ wall: a.wall + c.wall, cpu: a.cpu + c.cpu }), { wall: 0, cpu: 0 });
    line('  = transaction total', `${((all.wall * 1000) / N).toFixed(1).padStart(6)} µs wall  ${((all.cpu * 1000) / N).toFixed(1).padStart(6)} µs cpu  → ${formatNumber(N / (all.wall / 1000))} ev/s if nothing else ran`);
  }

  // ---- Insert variants the log could use (synchronous OFF: statement cost only) -----------------------------
  const rows: StoredRow[] = [];
  {
    let head = { seq: 0, hash: '0'.repeat(64) };
    for (let i = 0; i < N; i += B) {
      const p = planBatch(head, prepared.slice(i, i + B), { existing: new Map(), envelopes: new Map(), nowMs: Date.now() });
      rows.push(...p.rows);
      head = p.head;
    }
  }
  const tuple = (r: StoredRow) => [r.seq, r.id, r.type, r.key, r.runId, r.causationId, r.sourceKind, r.sourceName, r.timeMs, r.envelopeVersion, r.payload, r.idempotencyKey, r.prevHash, r.hash];
  const values = (k: number) => Array.from({ length: k }, () => `(${Array(14).fill('?').join(', ')})`).join(', ');
  const variants: Array<[string, (db: ReturnType<typeof freshDb>) => (slice: StoredRow[]) => void]> = [
    ['named params, 1 row per run() (as the log does)', (db) => {
      const st = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (@seq, @id, @type, @key, @runId, @causationId, @sourceKind, @sourceName, @timeMs, @envelopeVersion, @payload, @idempotencyKey, @prevHash, @hash)`);
      return (slice) => { for (const r of slice) st.run(r); };
    }],
    ['positional params, 1 row per run()', (db) => {
      const st = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES ${values(1)}`);
      return (slice) => { for (const r of slice) st.run(tuple(r)); };
    }],
    ['multi-row INSERT, 16 rows per run()', (db) => {
      const st16 = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES ${values(16)}`);
      const st1 = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES ${values(1)}`);
      return (slice) => {
        let i = 0;
        for (; i + 16 <= slice.length; i += 16) st16.run(slice.slice(i, i + 16).flatMap(tuple));
        for (; i < slice.length; i++) st1.run(tuple(slice[i]!));
      };
    }],
  ];
  for (const [label, make] of variants) {
    const c = best(3, () => {
      const db = freshDb(`variant-${Math.random()}.db`, 'OFF');
      const ins = make(db);
      const tx = db.transaction((slice: StoredRow[]) => ins(slice));
      const k = new Clock();
      k.time(() => { for (let i = 0; i < N; i += B) tx.immediate(rows.slice(i, i + B)); });
      db.close();
      return k;
    });
    line(`insert variant: ${label}`, c.per(N));
  }
  perCall('hashRow (sha256 over JSON head + payload)', (i) => hashRow(rows[i]!.prevHash, rows[i]!));

  // ---- The whole Spine path ---------------------------------------------------------------------------------
  for (const sync of ['OFF', 'NORMAL', 'FULL']) {
    const spine = await openSpine({ databaseUrl: `file:${path.join(dir, `spine-${sync}.db`)}`, synchronous: sync as 'FULL' });
    await spine.append(runOpenings('bd'));
    const run = async (total: number, tag: string) => {
      let next = 0;
      await Promise.all(Array.from({ length: B }, async () => { for (let n = next++; n < total; n = next++) await spine.publish(workloadEvent(n, tag)); }));
    };
    await run(3000, 'warm');
    const inside = new Clock();
    let commits = 0;
    const log = spine.log as unknown as { commitBatch: (b: unknown) => Promise<unknown> };
    const commitBatch = log.commitBatch.bind(log);
    log.commitBatch = (b) => {
      commits++;
      return inside.time(() => commitBatch(b)); // synchronous on SQLite: the promise is already settled
    };
    const total = new Clock();
    const w = now();
    const c = process.cpuUsage();
    await run(N, 'm');
    const d = process.cpuUsage(c);
    total.wall = now() - w;
    total.cpu = (d.user + d.system) / 1000;
    const outside = new Clock();
    outside.wall = total.wall - inside.wall;
    outside.cpu = total.cpu - inside.cpu;
    line(`spine, synchronous=${sync}, ${B} appenders: ${formatNumber(N / (total.wall / 1000))} ev/s, ${(N / commits).toFixed(1)} ev/tx`, total.per(N));
    line('  inside commitBatch (transaction incl. COMMIT)', inside.per(N));
    line('  outside (validation, group commit, promises, GC)', outside.per(N));
    await spine.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\nSQLite write path, stage by stage (per event; ${N} events, batches of ${B})`);
const width = Math.max(...lines.map(([l]) => l.length));
for (const [l, v] of lines) console.log(`${l.padEnd(width)}  ${v}`);
