/**
 * The event log contract shared by the SQLite and PostgreSQL implementations, and the part of appending
 * that does not depend on the database: input validation, payload limits and group commit.
 *
 * Guarantees every implementation must keep (checked by eventLog.contract.ts on both databases):
 * - `append` is atomic per call and acknowledges only after commit;
 * - seq is global, strictly increasing by one, and commit-ordered: a reader that sees seq n sees every seq < n;
 * - the same idempotency key appends once and afterwards returns the original seq and id;
 * - rows are never updated or deleted (the database refuses it with triggers);
 * - every row is hash-chained to its predecessor, and `verify` names the first bad seq.
 */
import { PayloadTooLargeError, ValidationError } from '@/server/errors';
import { AppendInput, type EventFilter, type Json, type SpineEvent } from '../events';
import type { Envelope } from '../envelope';
import { canonicalJson, type VerifyResult } from './hashChain';
import { GroupCommitter, type CommitOutcome } from './groupCommit';
import type { AppendResult, PreparedEvent } from './sequencer';
import type { RunIndexRow } from '../runIndex';
import type { RunQuery } from './rows';

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
  readonly dialect: 'sqlite' | 'postgresql';
  append(inputs: AppendInput[]): Promise<AppendResult[]>;
  read(q: ReadQuery): Promise<SpineEvent[]>;
  /** Last committed seq (0 when empty). */
  head(): Promise<number>;
  getEvent(seq: number): Promise<SpineEvent | null>;
  getEnvelope(runId: string): Promise<Envelope | null>;
  getRun(runId: string): Promise<RunIndexRow | null>;
  listRuns(q: RunQuery): Promise<RunIndexRow[]>;
  verify(fromSeq?: number, toSeq?: number): Promise<VerifyResult>;
  loadOffset(consumer: string): Promise<number | null>;
  saveOffset(consumer: string, seq: number, filter: EventFilter): Promise<void>;
  onCommit(listener: CommitListener): () => void;
  close(): Promise<void>;
}

export type LogOptions = {
  /** @default 262144 */
  maxPayloadBytes?: number;
};

export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
export const MAX_EVENTS_PER_APPEND = 1000;

/** Validates inputs before they reach a transaction, so a bad event never holds the write lock. */
export function prepareInputs(inputs: unknown[], maxPayloadBytes: number): PreparedEvent[] {
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
    let payloadText: string;
    try {
      payloadText = canonicalJson(e.payload);
    } catch (err) {
      throw new ValidationError('event.invalid', `payload: ${(err as Error).message.replace(/^\$/, 'payload')}`, { index });
    }
    const bytes = Buffer.byteLength(payloadText);
    if (bytes > maxPayloadBytes)
      throw new PayloadTooLargeError('event.payload_too_large', `payload is ${bytes} bytes; the limit is ${maxPayloadBytes}`, { index, bytes, limit: maxPayloadBytes });
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
    };
  });
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

/** Shared plumbing: validation, group commit and commit listeners. */
export abstract class BaseEventLog implements EventLog {
  abstract readonly dialect: 'sqlite' | 'postgresql';
  protected readonly maxPayloadBytes: number;
  private readonly committer: GroupCommitter<PreparedEvent, AppendResult[]>;
  private readonly listeners = new Set<CommitListener>();

  constructor(opts: LogOptions) {
    this.maxPayloadBytes = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.committer = new GroupCommitter((batch) => this.commitBatch(batch));
  }

  append(inputs: AppendInput[]): Promise<AppendResult[]> {
    let prepared: PreparedEvent[];
    try {
      prepared = prepareInputs(inputs, this.maxPayloadBytes);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.committer.submit(prepared);
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
