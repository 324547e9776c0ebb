/**
 * Row ↔ event mapping shared by both logs (column names are the same on SQLite and PostgreSQL).
 */
import type { SourceKind, SpineEvent } from '../events';
import type { StoredRow } from './sequencer';

export const EVENT_COLUMNS =
  'seq, id, type, key, run_id, causation_id, source_kind, source_name, time_ms, envelope_version, payload, idempotency_key, prev_hash, hash';

export type DbRow = {
  seq: number | string;
  id: string;
  type: string;
  key: string | null;
  run_id: string | null;
  causation_id: string | null;
  source_kind: string;
  source_name: string;
  time_ms: number | string;
  envelope_version: number | null;
  payload: string;
  idempotency_key: string | null;
  prev_hash: string;
  hash: string;
};

export function toStoredRow(r: DbRow): StoredRow {
  return {
    seq: Number(r.seq),
    id: r.id,
    type: r.type,
    key: r.key,
    runId: r.run_id,
    causationId: r.causation_id,
    sourceKind: r.source_kind,
    sourceName: r.source_name,
    timeMs: Number(r.time_ms),
    envelopeVersion: r.envelope_version === null ? null : Number(r.envelope_version),
    idempotencyKey: r.idempotency_key,
    payload: r.payload,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function rowToEvent(r: DbRow): SpineEvent {
  return {
    seq: Number(r.seq),
    id: r.id,
    type: r.type,
    key: r.key,
    runId: r.run_id,
    causationId: r.causation_id,
    source: { kind: r.source_kind as SourceKind, name: r.source_name },
    time: new Date(Number(r.time_ms)).toISOString(),
    envelopeVersion: r.envelope_version === null ? null : Number(r.envelope_version),
    payload: JSON.parse(r.payload),
    idempotencyKey: r.idempotency_key,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export type EnvelopeRow = {
  run_id: string;
  intent: string | null;
  constraints: string;
  deadline_ms: number | string | null;
  state: string;
  version: number;
  opened_seq: number | string;
  updated_seq: number | string;
};
