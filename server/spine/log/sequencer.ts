/**
 * The sequencer's pure core: given the head of the log (last seq and hash) as read *inside* the writing
 * transaction, it numbers a batch of submissions, chains their hashes, resolves idempotency keys and
 * evolves run envelopes. It performs no I/O; the SQLite and PostgreSQL logs call it between "lock head"
 * and "insert rows", which is what makes seq gapless and commit-ordered:
 *
 *   lock head row → plan → insert rows, write envelopes, move head → commit → release
 *
 * A second writer (another process) blocks on the head lock until the first commits, then reads the new
 * head, so seq n+1 can never become visible before seq n. A failed submission is discarded whole and
 * consumes no seq.
 */
import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { isSpineError } from '@/server/errors';
import type { Json, SourceKind, SpineEvent } from '../events';
import type { PreparedBlob } from '../blobs';
import { evolveEnvelope, type EnvelopeRecord } from '../envelope';
import { canonicalJson, hashRow, type ChainedRow } from './hashChain';
import { evolveRunIndex, touchesRunIndex, type RunIndexRow } from '../runIndex';
import type { CommitOutcome } from './groupCommit';

/** A validated event waiting for a seq (see prepareInputs in eventLog.ts). */
export type PreparedEvent = {
  type: string;
  key: string | null;
  runId: string | null;
  causationId: string | null;
  sourceKind: SourceKind;
  sourceName: string;
  payload: Json;
  /** Canonical JSON of payload, or the stub of its blob: the exact stored and hashed text. */
  payloadText: string;
  idempotencyKey: string | null;
  /** Chosen in advance by the engine (so later events of the same append can name it as their cause). */
  id: string | null;
  /** Index in the same append whose seq goes into `payload.basedOnSeq` (see AppendInput). */
  basedOnIndex: number | null;
  /** Set when the payload is over the inline limit: written before (SQLite) or with (PostgreSQL) the row. */
  blob?: PreparedBlob;
  /** With `basedOnIndex` on an object payload: the canonical text around the value of `basedOnSeq` (canonicalSlot). */
  payloadSlot?: [string, string];
};

/** UUIDv7 with random bytes drawn from a pool: one getRandomValues call per 256 ids instead of one each. */
const POOL = Buffer.alloc(16 * 256);
let poolAt = POOL.length;
export function newEventId(): string {
  if (poolAt >= POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const random = POOL.subarray(poolAt, poolAt + 16);
  poolAt += 16;
  return uuidv7({ random });
}

export type AppendResult = {
  seq: number;
  id: string;
  /** True when the idempotency key was seen before: seq and id are the original's, nothing was appended. */
  duplicate: boolean;
  /** Stamped on new events only. */
  envelopeVersion?: number | null;
  time?: string;
};

export type StoredRow = ChainedRow & { prevHash: string; hash: string };

export type Head = { seq: number; hash: string };

export type BatchPlan = {
  rows: StoredRow[];
  events: SpineEvent[];
  /** Envelopes to upsert, with the seq of the event that last changed them. */
  envelopes: Map<string, EnvelopeRecord & { openedSeq: number; updatedSeq: number }>;
  /** Run index rows to upsert. */
  runs: Map<string, RunIndexRow>;
  outcomes: CommitOutcome<AppendResult[]>[];
  head: Head;
};

export type PlanContext = {
  /** Idempotency keys already in the log → their original seq and id. */
  existing: Map<string, { seq: number; id: string }>;
  /** Current envelopes (with their opening seq) of the runs touched by the batch. */
  envelopes: Map<string, EnvelopeRecord & { openedSeq: number; updatedSeq: number }>;
  /** Current run index rows of the runs whose lifecycle the batch touches. */
  runs?: Map<string, RunIndexRow>;
  nowMs: number;
  newId?: () => string;
};

export function keysNeeded(batch: PreparedEvent[][]): { idempotencyKeys: string[]; runIds: string[]; indexedRunIds: string[] } {
  const idem = new Set<string>();
  const runs = new Set<string>();
  const indexed = new Set<string>();
  for (const sub of batch)
    for (const e of sub) {
      if (e.idempotencyKey) idem.add(e.idempotencyKey);
      if (e.runId) runs.add(e.runId);
      if (e.runId && touchesRunIndex(e.type)) indexed.add(e.runId);
    }
  return { idempotencyKeys: [...idem], runIds: [...runs], indexedRunIds: [...indexed] };
}

export function planBatch(head: Head, batch: PreparedEvent[][], ctx: PlanContext): BatchPlan {
  const newId = ctx.newId ?? newEventId;
  const rows: StoredRow[] = [];
  const events: SpineEvent[] = [];
  const outcomes: CommitOutcome<AppendResult[]>[] = [];
  const envelopes = new Map(ctx.envelopes);
  const touched = new Map<string, EnvelopeRecord & { openedSeq: number; updatedSeq: number }>();
  const existing = new Map(ctx.existing);
  const runs = new Map(ctx.runs);
  const touchedRuns = new Map<string, RunIndexRow>();
  let seq = head.seq;
  let hash = head.hash;
  const time = new Date(ctx.nowMs).toISOString();

  for (const sub of batch) {
    const mark = { seq, hash, rows: rows.length };
    const localEnvelopes = new Map<string, EnvelopeRecord & { openedSeq: number; updatedSeq: number }>();
    const localIdem = new Map<string, { seq: number; id: string }>();
    const localRuns = new Map<string, RunIndexRow>();
    const results: AppendResult[] = [];
    // An id chosen in advance whose event turned out to be a duplicate stands for the original: a later
    // event of the same append that names it as its cause then points at the event that is in the log.
    const aliases = new Map<string, string>();
    try {
      for (let e of sub) {
        const dup = e.idempotencyKey ? (localIdem.get(e.idempotencyKey) ?? existing.get(e.idempotencyKey)) : undefined;
        if (dup) {
          if (e.id) aliases.set(e.id, dup.id);
          results.push({ ...dup, duplicate: true });
          continue;
        }
        if (e.basedOnIndex !== null) e = withBasedOnSeq(e, results[e.basedOnIndex]?.seq);
        const s = seq + 1;
        const current = e.runId ? (localEnvelopes.get(e.runId) ?? envelopes.get(e.runId)) : undefined;
        const next = evolveEnvelope(current, e);
        if (next && e.runId) localEnvelopes.set(e.runId, { ...next, openedSeq: current?.openedSeq ?? s, updatedSeq: s });
        const row: StoredRow = {
          seq: s,
          id: e.id ?? newId(),
          type: e.type,
          key: e.key,
          runId: e.runId,
          causationId: e.causationId === null ? null : (aliases.get(e.causationId) ?? e.causationId),
          sourceKind: e.sourceKind,
          sourceName: e.sourceName,
          timeMs: ctx.nowMs,
          envelopeVersion: next ? next.version : (current?.version ?? null),
          idempotencyKey: e.idempotencyKey,
          payload: e.payloadText,
          prevHash: hash,
          hash: '',
        };
        row.hash = hashRow(hash, row);
        hash = row.hash;
        seq = s;
        rows.push(row);
        events.push(toEvent(row, e.payload, time));
        if (e.idempotencyKey) localIdem.set(e.idempotencyKey, { seq: s, id: row.id });
        if (e.runId && touchesRunIndex(e.type)) {
          const run = evolveRunIndex(localRuns.get(e.runId) ?? runs.get(e.runId), { type: e.type, runId: e.runId, key: e.key, payload: e.payload, seq: s, timeMs: ctx.nowMs });
          if (run) localRuns.set(e.runId, run);
        }
        results.push({ seq: s, id: row.id, duplicate: false, envelopeVersion: row.envelopeVersion, time });
      }
      for (const [k, v] of localEnvelopes) {
        envelopes.set(k, v);
        touched.set(k, v);
      }
      for (const [k, v] of localIdem) existing.set(k, v);
      for (const [k, v] of localRuns) {
        runs.set(k, v);
        touchedRuns.set(k, v);
      }
      outcomes.push({ ok: true, value: results });
    } catch (error) {
      if (!isSpineError(error)) throw error;
      seq = mark.seq;
      hash = mark.hash;
      rows.length = mark.rows;
      events.length = mark.rows;
      outcomes.push({ ok: false, error });
    }
  }
  return { rows, events, envelopes: touched, runs: touchedRuns, outcomes, head: { seq, hash } };
}

/** Writes the seq an earlier event of the same append received into the payload (`basedOnSeq`). */
function withBasedOnSeq(e: PreparedEvent, seq: number | undefined): PreparedEvent {
  // A payload kept as a blob was written before its seq was known and stays as it is: without basedOnSeq a
  // dispatch reads as decided on the state at its own seq, which within one commit is the same state.
  if (e.blob) return e;
  if (seq === undefined || e.payload === null || typeof e.payload !== 'object' || Array.isArray(e.payload)) return e;
  const payload = { ...e.payload, basedOnSeq: seq };
  return { ...e, payload, payloadText: e.payloadSlot ? e.payloadSlot[0] + String(seq) + e.payloadSlot[1] : canonicalJson(payload) };
}

export function toEvent(row: StoredRow, payload: Json, time?: string): SpineEvent {
  return {
    seq: row.seq,
    id: row.id,
    type: row.type,
    key: row.key,
    runId: row.runId,
    causationId: row.causationId,
    source: { kind: row.sourceKind as SourceKind, name: row.sourceName },
    time: time ?? new Date(row.timeMs).toISOString(),
    envelopeVersion: row.envelopeVersion,
    payload,
    idempotencyKey: row.idempotencyKey,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}
