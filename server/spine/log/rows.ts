/**
 * Row ↔ value mapping shared by every log (column names are the same on SQLite and PostgreSQL, and the
 * memory log keeps rows in the same form): events, envelopes with their recent history, run index rows.
 */
import type { SourceKind, SpineEvent } from '../events';
import type { Envelope, EnvelopeRecord } from '../envelope';
import type { StoredRow } from './sequencer';
import { waitingOnFromColumn, waitingOnToColumn, type RunIndexRow } from '../runIndex';

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

/** An envelope as the log stores it: the record plus the seqs that opened and last changed it. */
export type StoredEnvelope = EnvelopeRecord & { openedSeq: number; updatedSeq: number };

export const ENVELOPE_COLUMNS = 'run_id, intent, constraints, deadline_ms, state, version, opened_seq, updated_seq';

export function envelopeFromRow(row: EnvelopeRow): StoredEnvelope {
  return {
    runId: row.run_id,
    intent: row.intent,
    constraints: JSON.parse(row.constraints),
    deadline: row.deadline_ms === null ? null : new Date(Number(row.deadline_ms)).toISOString(),
    state: JSON.parse(row.state),
    version: Number(row.version),
    openedSeq: Number(row.opened_seq),
    updatedSeq: Number(row.updated_seq),
  };
}

/** The column order of ENVELOPE_COLUMNS. */
export function envelopeToParams(env: StoredEnvelope): unknown[] {
  return [env.runId, env.intent, JSON.stringify(env.constraints), env.deadline === null ? null : Date.parse(env.deadline), JSON.stringify(env.state), env.version, env.openedSeq, env.updatedSeq];
}

/** One of a run's recent events, as the envelope's history shows it (columns of `events`). */
export type HistoryRow = { seq: number | string; type: string; source_kind: string; source_name: string; time_ms: number | string };

/** The envelope with its history: the run's most recent events (given newest first) and how many are left out. */
export function withHistory(record: EnvelopeRecord, recentDesc: HistoryRow[], total: number): Envelope {
  return {
    ...record,
    history: {
      entries: recentDesc
        .map((h) => ({
          seq: Number(h.seq),
          type: h.type,
          source: { kind: h.source_kind as 'system', name: h.source_name },
          time: new Date(Number(h.time_ms)).toISOString(),
        }))
        .reverse(),
      omitted: Math.max(0, total - recentDesc.length),
    },
  };
}

export const RUN_COLUMNS =
  'id, workflow_id, version, status, key, started_seq, last_seq, started_by, waiting_on, output, error, started_at_ms, updated_at_ms, ended_at_ms';

export type RunDbRow = {
  id: string;
  workflow_id: string;
  version: number;
  status: string;
  key: string | null;
  started_seq: number | string;
  last_seq: number | string;
  started_by: string | null;
  waiting_on: string | null;
  output: string | null;
  error: string | null;
  started_at_ms: number | string;
  updated_at_ms: number | string;
  ended_at_ms: number | string | null;
};

export function runFromRow(r: RunDbRow): RunIndexRow {
  return {
    id: r.id,
    workflowId: r.workflow_id,
    version: Number(r.version),
    status: r.status as RunIndexRow['status'],
    key: r.key,
    startedSeq: Number(r.started_seq),
    lastSeq: Number(r.last_seq),
    startedBy: r.started_by,
    waitingOn: waitingOnFromColumn(r.waiting_on),
    output: r.output,
    error: r.error,
    startedAtMs: Number(r.started_at_ms),
    updatedAtMs: Number(r.updated_at_ms),
    endedAtMs: r.ended_at_ms === null ? null : Number(r.ended_at_ms),
  };
}

export function runToParams(r: RunIndexRow): unknown[] {
  return [r.id, r.workflowId, r.version, r.status, r.key, r.startedSeq, r.lastSeq, r.startedBy, waitingOnToColumn(r.waitingOn), r.output, r.error, r.startedAtMs, r.updatedAtMs, r.endedAtMs];
}

export const RUN_UPSERT_SET =
  'status = excluded.status, last_seq = excluded.last_seq, waiting_on = excluded.waiting_on, output = excluded.output, error = excluded.error, updated_at_ms = excluded.updated_at_ms, ended_at_ms = excluded.ended_at_ms';

/** SQL for a run listing; `?` placeholders. */
export function runListSql(q: RunQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.statuses?.length) {
    where.push(`status IN (${q.statuses.map(() => '?').join(', ')})`);
    params.push(...q.statuses);
  }
  if (q.workflowId) {
    where.push('workflow_id = ?');
    params.push(q.workflowId);
  }
  if (q.key) {
    where.push('key = ?');
    params.push(q.key);
  }
  if (q.beforeSeq) {
    where.push('started_seq < ?');
    params.push(q.beforeSeq);
  }
  const order = q.order === 'asc' ? 'ASC' : 'DESC';
  params.push(q.limit);
  return { sql: `SELECT ${RUN_COLUMNS} FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_seq ${order} LIMIT ?`, params };
}

export type RunQuery = { statuses?: readonly RunIndexRow['status'][]; workflowId?: string; key?: string; beforeSeq?: number; limit: number; order?: 'asc' | 'desc' };
