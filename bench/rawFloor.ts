/**
 * The raw floor: what better-sqlite3 alone achieves for the rows Spine writes, measured in the same run
 * so the Spine figures can be read as a ratio of "what this disk and SQLite can do".
 *
 * The rows are exactly Spine's: the workload events go through Spine's own validation and sequencer
 * (`prepareInputs`, `planBatch`) *before* timing, so seq, uuid v7 id, canonical payload text, envelope
 * version and the sha256 hash chain are precomputed. The timed part is only the inserts: a fresh database
 * with the same migration SQL, the same pragmas (opened by the same `openSqliteDatabase`: WAL and the
 * given `synchronous`), and the same named-parameter INSERT statement.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { openSqliteDatabase } from '@/server/db/sqlite';
import { loadMigrations, migratePostgres } from '@/server/db/migrate';
import { prepareInputs, DEFAULT_MAX_PAYLOAD_BYTES } from '@/server/spine/log/eventLog';
import { planBatch, type StoredRow } from '@/server/spine/log/sequencer';
import { GENESIS_HASH } from '@/server/spine/log/hashChain';
import { EVENT_COLUMNS } from '@/server/spine/log/rows';
import type { EnvelopeRecord } from '@/server/spine/envelope';
import { RUN_COUNT, now, workloadEvent } from './support';

/** Spine's rows for workload events 0..n-1, as its sequencer would number and chain them on an empty log. */
export function precomputeRows(n: number, tag = 'floor'): StoredRow[] {
  const envelopes = new Map<string, EnvelopeRecord & { openedSeq: number; updatedSeq: number }>();
  for (let r = 0; r < RUN_COUNT; r++)
    envelopes.set(`run-${r}`, { runId: `run-${r}`, intent: null, constraints: {}, deadline: null, state: {}, version: 1, openedSeq: r + 1, updatedSeq: r + 1 });
  const rows: StoredRow[] = [];
  let head = { seq: 0, hash: GENESIS_HASH };
  const CHUNK = 1000; // prepareInputs accepts at most 1000 events per call
  for (let start = 0; start < n; start += CHUNK) {
    const inputs = Array.from({ length: Math.min(CHUNK, n - start) }, (_, k) => workloadEvent(start + k, tag));
    const prepared = prepareInputs(inputs, DEFAULT_MAX_PAYLOAD_BYTES);
    const plan = planBatch(head, [prepared], { existing: new Map(), envelopes, nowMs: Date.now() });
    rows.push(...plan.rows);
    head = plan.head;
  }
  return rows;
}

const INSERT_SQL = `INSERT INTO events (${EVENT_COLUMNS}) VALUES (@seq, @id, @type, @key, @runId, @causationId, @sourceKind, @sourceName, @timeMs, @envelopeVersion, @payload, @idempotencyKey, @prevHash, @hash)`;

function freshFloorDb(file: string, synchronous: 'FULL' | 'NORMAL') {
  rmSync(file, { force: true });
  const db = openSqliteDatabase(file, synchronous);
  for (const m of loadMigrations('sqlite')) db.exec(m.sql);
  return db;
}

function removeDb(file: string) {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}

/**
 * Inserts `rows` in `chunk`-row transactions (one transaction when chunk >= rows.length) into a fresh
 * database; returns rows per second. Each commit syncs the WAL under synchronous=FULL.
 */
export function floorRate(dir: string, rows: StoredRow[], opts: { synchronous: 'FULL' | 'NORMAL'; chunk?: number; label: string }): number {
  const file = path.join(dir, `floor-${opts.label}.db`);
  const db = freshFloorDb(file, opts.synchronous);
  try {
    const insert = db.prepare(INSERT_SQL);
    const tx = db.transaction((slice: StoredRow[]) => {
      for (const r of slice) insert.run(r);
    });
    const chunk = opts.chunk ?? rows.length;
    const t0 = now();
    for (let i = 0; i < rows.length; i += chunk) tx.immediate(rows.slice(i, i + chunk));
    const ms = now() - t0;
    return rows.length / (ms / 1000);
  } finally {
    db.close();
    removeDb(file);
  }
}

/** Median of `repeats` runs of floorRate (each on a fresh database): one run is only tens of ms. */
export function medianFloorRate(dir: string, rows: StoredRow[], opts: { synchronous: 'FULL' | 'NORMAL'; chunk?: number; label: string }, repeats = 3): number {
  const rates = Array.from({ length: repeats }, (_, k) => floorRate(dir, rows, { ...opts, label: `${opts.label}-${k}` }));
  return rates.sort((a, b) => a - b)[Math.floor(repeats / 2)]!;
}

/**
 * The PostgreSQL counterpart: one client inserting the same precomputed rows with the log's own
 * `INSERT ... SELECT * FROM unnest(...)` statement, `chunk` rows per transaction (BEGIN, INSERT, COMMIT:
 * three round trips), into a migrated empty database. The head-row lock serializes all writers, so with
 * chunk = the appender count this is the ceiling for one writer's 64-event batches without Spine's other
 * statements (head lock, envelopes, head update, NOTIFY).
 */
export async function pgFloorRate(url: string, rows: StoredRow[], chunk: number): Promise<number> {
  await migratePostgres(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const sql = `INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[])`;
    const columns = (slice: StoredRow[]) => {
      const cols: unknown[][] = Array.from({ length: 14 }, () => []);
      for (const r of slice) [r.seq, r.id, r.type, r.key, r.runId, r.causationId, r.sourceKind, r.sourceName, r.timeMs, r.envelopeVersion, r.payload, r.idempotencyKey, r.prevHash, r.hash].forEach((x, i) => cols[i]!.push(x));
      return cols;
    };
    const batches: unknown[][][] = [];
    for (let i = 0; i < rows.length; i += chunk) batches.push(columns(rows.slice(i, i + chunk)));
    const t0 = now();
    for (const b of batches) {
      await client.query('BEGIN');
      await client.query(sql, b);
      await client.query('COMMIT');
    }
    return rows.length / ((now() - t0) / 1000);
  } finally {
    await client.end();
  }
}
