/**
 * The audit export's records and their two encodings, JSONL and CSV. Pure: no I/O.
 *
 * An export is a sequence of records: a `header` (scope, head at export time, the public keys), the
 * `event`s with their full hash-chain fields, `checkpoint`s (signed statements of the chain head),
 * `anchor`s (the stored hash at a checkpoint's seq when that event is not itself exported), and a signed
 * `trailer` last: the SHA-256 of every byte before it, the server's verification summary, and an Ed25519
 * signature over both. Cutting, editing or reordering the file breaks the trailer; editing the log before
 * the export breaks the chain or a checkpoint. scripts/spine-verify.mjs checks all of it offline.
 *
 * Event payloads are written as the exact canonical text the log hashed, so hashes recompute byte for
 * byte. A payload stored by reference (a blob, server/spine/blobs.ts) is exported like an inline one: its
 * full content as `payload`, plus `payloadStored`, the stub the row holds and the chain hashed (JSONL: a
 * field; CSV: the event row's `detail` cell, `{"payloadStored":…}`). The verifier hashes the stub into the
 * chain and checks the content against the SHA-256 the stub names. Content that no longer matches is
 * written as `payloadText` (the exact stored text, JSONL); a blob missing on the server leaves only the
 * stub as `payload`. Format version 2 added `payloadStored`; version 1 files still verify.
 *
 * CSV cells that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab, CR) are prefixed
 * with `'`, as is a cell that already starts with `'`; the verifier strips exactly one.
 */
import { blobMatches, blobRefOf, canonicalJson, type DbRow } from '@/server/spine';
import type { SignedCheckpoint } from './checkpoint';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_FORMAT_NAME = 'spine.audit.export';
export const EXPORT_FORMAT_VERSION = 2;

export type ExportScope =
  | { kind: 'range'; fromSeq: number; toSeq: number }
  | { kind: 'run'; runId: string; workflowId: string | null; fromSeq: number | null; toSeq: number | null; events: number };

export type HeaderRecord = {
  record: 'header';
  format: typeof EXPORT_FORMAT_NAME;
  formatVersion: typeof EXPORT_FORMAT_VERSION;
  exportedAt: string;
  scope: ExportScope;
  /** The log's head when the export was taken. */
  head: { seq: number; hash: string | null };
  /** Range exports: the hash of the event before `fromSeq` (the genesis hash for seq 1). */
  prevHash: string | null;
  keys: { keyId: string; algorithm: 'Ed25519'; publicKey: string }[];
  generator: string;
};

export type AnchorRecord = { record: 'anchor'; seq: number; hash: string | null };
export type CheckpointRecord = { record: 'checkpoint' } & SignedCheckpoint;

export type ExportVerification = {
  ok: boolean;
  chain: { ok: boolean; checked: number; fromSeq: number; toSeq: number; firstBadSeq: number | null; reason: string | null };
  checkpoints: { checked: number; matching: number; mismatched: number[]; beyondHead: number[] };
  firstBadSeq: number | null;
  problems: string[];
};

export type TrailerStatement = {
  type: 'spine.export';
  records: number;
  digest: string;
  verification: ExportVerification;
  keyId: string;
  signedAt: string;
};
export type TrailerRecord = { record: 'trailer' } & TrailerStatement & { signature: string };

/** The exact text the trailer signature covers. */
export function trailerMessage(t: TrailerStatement): string {
  const { type, records, digest, verification, keyId, signedAt } = t;
  return canonicalJson({ type, records, digest, verification, keyId, signedAt });
}

export const CSV_COLUMNS = [
  'record', 'seq', 'id', 'type', 'key', 'run_id', 'causation_id', 'source_kind', 'source_name', 'time', 'time_ms',
  'envelope_version', 'idempotency_key', 'payload', 'prev_hash', 'hash', 'detail',
] as const;

/**
 * The content of a blob row's payload as read from the blob store (null: missing), or undefined for an
 * inline row.
 */
export type BlobContent = Buffer | null | undefined;

/** An event row as an export line (JSONL), payload embedded as stored (a blob's content beside its stub). */
export function eventJsonl(r: DbRow, blob?: BlobContent): string {
  const timeMs = Number(r.time_ms);
  const fields = {
    record: 'event',
    seq: Number(r.seq),
    id: r.id,
    type: r.type,
    key: r.key,
    runId: r.run_id,
    causationId: r.causation_id,
    source: { kind: r.source_kind, name: r.source_name },
    time: new Date(timeMs).toISOString(),
    timeMs,
    envelopeVersion: r.envelope_version === null ? null : Number(r.envelope_version),
    idempotencyKey: r.idempotency_key,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
  const head = JSON.stringify(fields);
  const ref = blob ? blobRefOf(r.payload) : null;
  if (ref && blob) {
    // Content that matches its hash is the canonical text Spine wrote: embed it as JSON. Anything else is
    // kept verbatim as a string, so the verifier hashes exactly what is stored.
    const text = blob.toString('utf8');
    const content = blobMatches(ref, blob) ? `"payload":${text}` : `"payloadText":${JSON.stringify(text)}`;
    return `${head.slice(0, -1)},"payloadStored":${r.payload},${content}}\n`;
  }
  // The stored text is canonical JSON (the log wrote it); a row that is not JSON at all was not written
  // by Spine: keep it verbatim as text, so the verifier hashes exactly what is stored.
  let valid = true;
  try {
    JSON.parse(r.payload);
  } catch {
    valid = false;
  }
  return `${head.slice(0, -1)},${valid ? `"payload":${r.payload}` : `"payloadText":${JSON.stringify(r.payload)}`}}\n`;
}

export function recordJsonl(r: HeaderRecord | AnchorRecord | CheckpointRecord | TrailerRecord): string {
  return `${JSON.stringify(r)}\n`;
}

const FORMULA = /^[=+\-@\t\r']/;

export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells: (string | number | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function csvHeaderRow(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function eventCsv(r: DbRow, blob?: BlobContent): string {
  const timeMs = Number(r.time_ms);
  const stored = blob && blobRefOf(r.payload) ? r.payload : null;
  return csvRow([
    'event', Number(r.seq), r.id, r.type, r.key, r.run_id, r.causation_id, r.source_kind, r.source_name, new Date(timeMs).toISOString(), timeMs,
    r.envelope_version === null ? null : Number(r.envelope_version), r.idempotency_key, stored && blob ? blob.toString('utf8') : r.payload, r.prev_hash, r.hash,
    stored === null ? null : `{"payloadStored":${stored}}`,
  ]);
}

export function recordCsv(r: HeaderRecord | AnchorRecord | CheckpointRecord | TrailerRecord): string {
  const seq = 'seq' in r && typeof r.seq === 'number' ? r.seq : null;
  const hash = 'hash' in r && typeof r.hash === 'string' ? r.hash : null;
  const cells: (string | number | null)[] = CSV_COLUMNS.map(() => null);
  cells[0] = r.record;
  cells[1] = seq;
  cells[15] = hash;
  cells[16] = JSON.stringify(r);
  return csvRow(cells);
}

export function exportFileName(scope: ExportScope, format: ExportFormat): string {
  const base = scope.kind === 'run' ? `spine-audit-run-${scope.runId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80)}` : `spine-audit-seq-${scope.fromSeq}-${scope.toSeq}`;
  return `${base}.${format}`;
}
