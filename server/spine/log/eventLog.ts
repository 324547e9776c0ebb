/**
 * The event log contract shared by the SQLite, PostgreSQL and in-memory implementations, and the part of
 * appending that does not depend on the storage: input validation, payload limits and group commit.
 *
 * Guarantees every implementation must keep (checked by eventLog.contract.ts on both databases):
 * - `append` is atomic per call and acknowledges only after commit;
 * - seq is global, strictly increasing by one, and commit-ordered: a reader that sees seq n sees every seq < n;
 * - the same idempotency key appends once and afterwards returns the original seq and id;
 * - rows are never updated or deleted (the database refuses it with triggers);
 * - every row is hash-chained to its predecessor, and `verify` names the first bad seq;
 * - a payload over the inline limit is stored as a blob (claim-check, see ../blobs.ts) that is durable or
 *   in the same transaction before its event commits; every reader returns the full payload, and `verify`
 *   checks each blob against the SHA-256 its chained stub names.
 */
import { PayloadTooLargeError, SpineError, ValidationError } from '@/server/errors';
import { AppendInput, type EventFilter, type Json, type SpineEvent } from '../events';
import type { Envelope } from '../envelope';
import { blobMatches, blobRefOf, blobStub, prepareBlob, usesReservedBlobKey, BLOB_KEY, type BlobRef, type PreparedBlob } from '../blobs';
import { canonicalJson, canonicalSlot, type VerifyResult } from './hashChain';
import { GroupCommitter, type CommitOutcome } from './groupCommit';
import type { AppendResult, PreparedEvent } from './sequencer';
import type { RunIndexRow } from '../runIndex';
import { rowToEvent, type DbRow, type RunQuery } from './rows';
import type { DialectName } from './dialect';
import type { LogQueries } from './queries';

/** What a log is stored in: one of the SQL dialects, or memory (specs only). */
export type LogDialect = DialectName | 'memory';

export type ReadQuery = {
  /** Exclusive cursor: events with seq > after. */
  after: number;
  limit: number;
  filter?: EventFilter;
  /** Newest first (for "latest events" views). */
  descending?: boolean;
};

/** Called after each commit with the new head and, for local commits, the committed events. */
export type CommitListener = (head: number, events?: SpineEvent[]) => void;

export interface EventLog {
  readonly dialect: LogDialect;
  /** The read-only query port over the log's database (queries.ts); null for the memory log, which has no SQL. */
  readonly queries: LogQueries | null;
  /** The database the log is open on, as a URL (`file:` + path for SQLite); null in memory. */
  readonly databaseUrl: string | null;
  append(inputs: AppendInput[]): Promise<AppendResult[]>;
  read(q: ReadQuery): Promise<SpineEvent[]>;
  /** Last committed seq (0 when empty). */
  head(): Promise<number>;
  getEvent(seq: number): Promise<SpineEvent | null>;
  getEnvelope(runId: string): Promise<Envelope | null>;
  getRun(runId: string): Promise<RunIndexRow | null>;
  listRuns(q: RunQuery): Promise<RunIndexRow[]>;
  /** Recomputes the chain over the range and checks every blob a row in it references. */
  verify(fromSeq?: number, toSeq?: number): Promise<VerifyResult>;
  /**
   * Events from raw `events` rows (read elsewhere with EVENT_COLUMNS), payloads stored as blobs loaded and
   * checked against their hash. Throws `event.blob_unreadable` when a blob is missing or altered.
   */
  eventsFromRows(rows: DbRow[]): Promise<SpineEvent[]>;
  /** The stored bytes of a blob, unchecked (null when absent): for exports, which report rather than refuse. */
  readBlob(sha256: string): Promise<Buffer | null>;
  /** For a row's stored payload text: inline, or the state of the blob its stub names (one event's integrity check). */
  blobStatus(storedPayload: string): Promise<'inline' | 'ok' | 'missing' | 'mismatch'>;
  loadOffset(consumer: string): Promise<number | null>;
  saveOffset(consumer: string, seq: number, filter: EventFilter): Promise<void>;
  onCommit(listener: CommitListener): () => void;
  close(): Promise<void>;
}

export type LogOptions = {
  /** Largest payload (canonical JSON bytes); over it an append is refused with 413. @default 67108864 (64 MiB) */
  maxPayloadBytes?: number;
  /** Payloads over this many bytes are stored as blobs, the row keeps a small stub. @default 65536 (64 KiB) */
  inlinePayloadBytes?: number;
};

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
export const DEFAULT_INLINE_PAYLOAD_BYTES = 64 * 1024;
export const MAX_EVENTS_PER_APPEND = 1000;

/**
 * Validates inputs before they reach a transaction, so a bad event never holds the write lock. A payload
 * over `inlinePayloadBytes` leaves with its blob and the stub that its row stores (../blobs.ts).
 */
export function prepareInputs(inputs: unknown[], maxPayloadBytes: number, inlinePayloadBytes = DEFAULT_INLINE_PAYLOAD_BYTES): PreparedEvent[] {
  if (inputs.length === 0) throw new ValidationError('event.empty_append', 'append needs at least one event');
  if (inputs.length > MAX_EVENTS_PER_APPEND)
    throw new ValidationError('event.too_many', `at most ${MAX_EVENTS_PER_APPEND} events per append`);
  return inputs.map((raw, index) => {
    const parsed = AppendInput.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      throw new ValidationError('event.invalid', `${where}${issue.message}`, { index, issues: parsed.error.issues });
    }
    const e = parsed.data;
    if (e.basedOnIndex !== undefined && e.basedOnIndex >= index)
      throw new ValidationError('event.invalid', `basedOnIndex: ${e.basedOnIndex} does not name an earlier event of this append`, { index });
    let payloadText: string;
    // A dispatch whose basedOnSeq the log writes keeps its text in two halves around that number (sequencer.ts).
    let slot: [string, string] | undefined;
    try {
      if (e.basedOnIndex !== undefined && isPlainObject(e.payload)) {
        slot = canonicalSlot(e.payload, 'basedOnSeq');
        payloadText = `${slot[0]}0${slot[1]}`;
      } else payloadText = canonicalJson(e.payload);
    } catch (err) {
      throw new ValidationError('event.invalid', `payload: ${(err as Error).message.replace(/^\$/, 'payload')}`, { index });
    }
    if (usesReservedBlobKey(e.payload))
      throw new ValidationError('event.invalid', `payload: the top-level key '${BLOB_KEY}' is reserved (it marks a payload stored by reference)`, { index });
    const bytes = Buffer.byteLength(payloadText);
    if (bytes > maxPayloadBytes)
      throw new PayloadTooLargeError('event.payload_too_large', `payload is ${bytes} bytes; the limit is ${maxPayloadBytes}`, { index, bytes, limit: maxPayloadBytes });
    let blob: PreparedBlob | undefined;
    if (bytes > inlinePayloadBytes) {
      // A blob is written before its seq is known: it keeps the payload as given (sequencer.ts, withBasedOnSeq).
      if (slot) payloadText = canonicalJson(e.payload);
      slot = undefined;
      blob = prepareBlob(payloadText);
      payloadText = blobStub(e.payload as Json, blob);
    }
    return {
      type: e.type,
      key: e.key ?? null,
      runId: e.runId ?? null,
      causationId: e.causationId ?? null,
      sourceKind: e.source?.kind ?? 'system',
      sourceName: e.source?.name ?? 'api',
      // Checked as plain JSON by canonicalJson above.
      payload: e.payload as Json,
      payloadText,
      idempotencyKey: e.idempotencyKey ?? null,
      id: e.id ?? null,
      basedOnIndex: e.basedOnIndex ?? null,
      ...(blob && { blob }),
      ...(slot && { payloadSlot: slot }),
    };
  });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A blob found wrong while reading: the event cannot be served with its real payload. */
function unreadable(seq: number, ref: BlobRef, problem: 'missing' | 'mismatch'): SpineError {
  const what = problem === 'missing' ? 'is missing' : 'no longer matches its SHA-256 (altered)';
  return new SpineError('event.blob_unreadable', `Event ${seq}: its payload, stored as blob ${ref.sha256}, ${what}`, 500, { seq, sha256: ref.sha256, problem });
}

/** `case.*` → `^case\.[^.]+(\.[^.]+)*$`-style regex source, usable by both databases. */
export function typePatternToRegex(pattern: string): string {
  if (pattern === '*') return '^.+$';
  const parts = pattern.split('.');
  const out = parts.map((p, i) => {
    if (p !== '*') return p.replace(/[-_]/g, (c) => `\\${c}`);
    return i === parts.length - 1 ? '.+' : '[^.]+';
  });
  return `^${out.join('\\.')}$`;
}

/** Shared plumbing: validation, blobs, group commit and commit listeners. */
export abstract class BaseEventLog implements EventLog {
  abstract readonly dialect: LogDialect;
  abstract readonly queries: LogQueries | null;
  abstract readonly databaseUrl: string | null;
  protected readonly maxPayloadBytes: number;
  protected readonly inlinePayloadBytes: number;
  private readonly committer: GroupCommitter<PreparedEvent, AppendResult[]>;
  private readonly listeners = new Set<CommitListener>();

  /** `commitsInFlight`: batches `commitBatch` may be given before the previous one returned (it must finish them in order). */
  constructor(opts: LogOptions, commitsInFlight = 1) {
    this.maxPayloadBytes = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.inlinePayloadBytes = Math.min(opts.inlinePayloadBytes ?? DEFAULT_INLINE_PAYLOAD_BYTES, this.maxPayloadBytes);
    this.committer = new GroupCommitter((batch) => this.commitBatch(batch), { inFlight: commitsInFlight });
  }

  append(inputs: AppendInput[]): Promise<AppendResult[]> {
    let prepared: PreparedEvent[];
    try {
      prepared = prepareInputs(inputs, this.maxPayloadBytes, this.inlinePayloadBytes);
    } catch (e) {
      return Promise.reject(e);
    }
    const blobs = prepared.flatMap((p) => (p.blob ? [p.blob] : []));
    if (blobs.length === 0) return this.committer.submit(prepared);
    // Outside the group commit: a large write never holds up the batch that other appends are in.
    return this.storeBlobsBeforeCommit(blobs).then(() => this.committer.submit(prepared));
  }

  async eventsFromRows(rows: DbRow[]): Promise<SpineEvent[]> {
    const events = rows.map(rowToEvent);
    const refs = new Map<number, BlobRef>();
    rows.forEach((r, i) => {
      const ref = blobRefOf(r.payload);
      if (ref) refs.set(i, ref);
    });
    if (refs.size === 0) return events;
    const contents = await this.loadBlobs([...new Set([...refs.values()].map((r) => r.sha256))]);
    for (const [i, ref] of refs) {
      const e = events[i]!;
      const content = contents.get(ref.sha256);
      if (!content) throw unreadable(e.seq, ref, 'missing');
      if (!blobMatches(ref, content)) throw unreadable(e.seq, ref, 'mismatch');
      e.payload = JSON.parse(content.toString('utf8')) as Json;
    }
    return events;
  }

  async blobStatus(storedPayload: string): Promise<'inline' | 'ok' | 'missing' | 'mismatch'> {
    const ref = blobRefOf(storedPayload);
    return ref ? this.checkBlob(ref) : 'inline';
  }

  /**
   * Adds the blob checks to a chain verdict: `refs` are the blobs referenced by the rows the chain walk
   * accepted, in seq order. A missing or altered blob makes its event's content differ from its hash, so it
   * is reported as `hash_mismatch` at that seq (with `blob` saying which and why) unless the chain broke
   * earlier.
   */
  protected async withBlobChecks(chain: VerifyResult, refs: { seq: number; ref: BlobRef }[]): Promise<VerifyResult> {
    const seen = new Map<string, 'ok' | 'missing' | 'mismatch'>();
    for (const { seq, ref } of refs) {
      if (chain.firstBadSeq !== undefined && seq >= chain.firstBadSeq) break;
      const key = `${ref.sha256}:${ref.bytes}`;
      let state = seen.get(key);
      if (!state) {
        state = await this.checkBlob(ref);
        seen.set(key, state);
      }
      if (state !== 'ok') return { ...chain, ok: false, firstBadSeq: seq, reason: 'hash_mismatch', blob: { sha256: ref.sha256, problem: state } };
    }
    return chain;
  }

  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected notify(head: number, events?: SpineEvent[]) {
    for (const l of this.listeners) l(head, events);
  }

  /** Drains pending appends (all are committed or failed), then closes the database. */
  async close(): Promise<void> {
    await this.committer.close();
    await this.closeDatabase();
  }

  protected abstract commitBatch(batch: PreparedEvent[][]): Promise<CommitOutcome<AppendResult[]>[]>;
  /** Makes blobs durable before the appends that reference them are committed (a no-op where the commit writes them). */
  protected abstract storeBlobsBeforeCommit(blobs: PreparedBlob[]): Promise<void>;
  /** Stored bytes by SHA-256; absent keys are missing blobs. */
  protected abstract loadBlobs(sha256s: string[]): Promise<Map<string, Buffer>>;
  protected abstract checkBlob(ref: BlobRef): Promise<'ok' | 'missing' | 'mismatch'>;
  abstract readBlob(sha256: string): Promise<Buffer | null>;
  protected abstract closeDatabase(): Promise<void>;
  abstract read(q: ReadQuery): Promise<SpineEvent[]>;
  abstract head(): Promise<number>;
  abstract getEvent(seq: number): Promise<SpineEvent | null>;
  abstract getEnvelope(runId: string): Promise<Envelope | null>;
  abstract getRun(runId: string): Promise<RunIndexRow | null>;
  abstract listRuns(q: RunQuery): Promise<RunIndexRow[]>;
  abstract verify(fromSeq?: number, toSeq?: number): Promise<VerifyResult>;
  abstract loadOffset(consumer: string): Promise<number | null>;
  abstract saveOffset(consumer: string, seq: number, filter: EventFilter): Promise<void>;
}
