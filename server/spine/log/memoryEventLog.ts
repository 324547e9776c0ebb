/**
 * An event log kept in memory, for specs (Emmett's `inMemoryEventStore` is the model). NOTHING IS DURABLE:
 * every event, envelope, run index row, consumer offset and blob lives in a `MemoryLogStorage` object and is
 * gone with the process. It is not wired into the runtime and must not be: it exists so that the engine,
 * subscriptions and consumers can be specified without a database, and it passes the same contract suite
 * (eventLog.contract.ts) as the SQLite and PostgreSQL logs.
 *
 * What it keeps from the real logs, by reusing their pure parts rather than restating them:
 * - validation, payload limits, claim-check stubs and group commit (BaseEventLog, prepareInputs);
 * - the global gapless seq, hash chain, idempotency, envelopes and run index, planned by the sequencer's
 *   `planBatch` over the storage's head and applied in one synchronous step, the in-memory equivalent of
 *   "in the same transaction": nothing of a batch is visible before all of it is, and a refused submission
 *   consumes no seq;
 * - reads that return fresh objects (payloads parsed from the stored canonical text, as a database would);
 * - verify over the stored rows, so a spec can edit the storage behind the log's back and see it caught.
 *
 * Several logs may be opened on one `MemoryLogStorage` (as several processes on one database): each is a
 * writer, commits are serialized by the event loop, the committing log wakes its own subscribers with the
 * events and the others with the new head only (as PostgreSQL's NOTIFY does), so both subscription paths
 * (from memory and by reading) can be exercised.
 *
 * `dialect` is 'memory': it has no SQL, so `queries` (the read-only query port) and `databaseUrl` are null,
 * and readers that need SQL (observability, audit) do not run on it.
 */
import type { EventFilter, SpineEvent } from '../events';
import { matchesFilter } from '../events';
import { HISTORY_LIMIT, type Envelope } from '../envelope';
import { blobMatches, blobRefOf, type BlobRef, type PreparedBlob } from '../blobs';
import type { RunIndexRow } from '../runIndex';
import { ChainVerifier, GENESIS_HASH, verdict, type VerifyResult } from './hashChain';
import { BaseEventLog, type LogOptions, type ReadQuery } from './eventLog';
import { keysNeeded, planBatch, type AppendResult, type Head, type PreparedEvent, type StoredRow } from './sequencer';
import type { CommitOutcome } from './groupCommit';
import { toStoredRow, withHistory, type DbRow, type RunQuery, type StoredEnvelope } from './rows';

/**
 * What a database would hold, in plain structures. Specs may read and alter it directly (to tamper with a
 * row or a blob behind the log's back, as an attacker with storage access would); logs only go through
 * their methods.
 */
export class MemoryLogStorage {
  /** Event rows in seq order, in the stored (column) form: the payload is the exact hashed text. */
  readonly rows: DbRow[] = [];
  head: Head = { seq: 0, hash: GENESIS_HASH };
  /** The unique index on idempotency_key. */
  readonly idempotency = new Map<string, { seq: number; id: string }>();
  readonly envelopes = new Map<string, StoredEnvelope>();
  readonly runs = new Map<string, RunIndexRow>();
  readonly consumers = new Map<string, { offset: number; filter: EventFilter; updatedMs: number }>();
  /** Blob contents by SHA-256 (content-addressed: the same payload twice is one entry). */
  readonly blobs = new Map<string, Buffer>();
  /** Logs open on this storage, woken on each other's commits. */
  readonly logs = new Set<MemoryEventLog>();

  /** Index of the first row with seq > `seq` (rows are sorted by seq, possibly with gaps after tampering). */
  indexAfter(seq: number): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Number(this.rows[mid]!.seq) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  rowAt(seq: number): DbRow | undefined {
    const i = this.indexAfter(seq) - 1;
    const row = this.rows[i];
    return row && Number(row.seq) === seq ? row : undefined;
  }
}

export type MemoryLogOptions = LogOptions & {
  /** The storage to open on (share one between logs to model several processes). @default a new, empty one */
  storage?: MemoryLogStorage;
};

export class MemoryEventLog extends BaseEventLog {
  readonly dialect = 'memory' as const;
  readonly queries = null;
  readonly databaseUrl = null;
  readonly storage: MemoryLogStorage;
  private closed = false;

  constructor(opts: MemoryLogOptions = {}) {
    super(opts);
    this.storage = opts.storage ?? new MemoryLogStorage();
    this.storage.logs.add(this);
  }

  protected async commitBatch(batch: PreparedEvent[][]): Promise<CommitOutcome<AppendResult[]>[]> {
    const s = this.open();
    // Read and write with no await in between: no other commit can interleave (the transaction).
    const { idempotencyKeys, runIds, indexedRunIds } = keysNeeded(batch);
    const existing = new Map<string, { seq: number; id: string }>();
    for (const k of idempotencyKeys) {
      const hit = s.idempotency.get(k);
      if (hit) existing.set(k, hit);
    }
    const envelopes = new Map<string, StoredEnvelope>();
    for (const runId of runIds) {
      const env = s.envelopes.get(runId);
      if (env) envelopes.set(runId, env);
    }
    const runs = new Map<string, RunIndexRow>();
    for (const runId of indexedRunIds) {
      const run = s.runs.get(runId);
      if (run) runs.set(runId, run);
    }
    const plan = planBatch(s.head, batch, { existing, envelopes, runs, nowMs: Date.now() });
    for (const row of plan.rows) {
      s.rows.push(toDbRow(row));
      if (row.idempotencyKey) s.idempotency.set(row.idempotencyKey, { seq: row.seq, id: row.id });
    }
    for (const [runId, env] of plan.envelopes) s.envelopes.set(runId, structuredClone(env));
    for (const [runId, run] of plan.runs) s.runs.set(runId, structuredClone(run));
    if (plan.rows.length > 0) {
      s.head = plan.head;
      this.notify(plan.head.seq, plan.events);
      for (const other of s.logs) if (other !== this) other.wake(plan.head.seq);
    }
    return plan.outcomes;
  }

  /** Another log on the same storage committed: a head-only wake-up, as from another process. */
  private wake(head: number) {
    this.notify(head);
  }

  protected async closeDatabase(): Promise<void> {
    this.closed = true;
    this.storage.logs.delete(this);
  }

  protected async storeBlobsBeforeCommit(blobs: PreparedBlob[]): Promise<void> {
    const s = this.open();
    for (const b of blobs) if (!s.blobs.has(b.sha256)) s.blobs.set(b.sha256, Buffer.from(b.content));
  }

  protected async loadBlobs(sha256s: string[]): Promise<Map<string, Buffer>> {
    const s = this.open();
    const out = new Map<string, Buffer>();
    for (const sha of sha256s) {
      const content = s.blobs.get(sha);
      if (content) out.set(sha, content);
    }
    return out;
  }

  protected async checkBlob(ref: BlobRef): Promise<'ok' | 'missing' | 'mismatch'> {
    const content = this.open().blobs.get(ref.sha256);
    if (!content) return 'missing';
    return blobMatches(ref, content) ? 'ok' : 'mismatch';
  }

  async readBlob(sha256: string): Promise<Buffer | null> {
    const content = this.open().blobs.get(sha256);
    return content ? Buffer.from(content) : null;
  }

  async read(q: ReadQuery): Promise<SpineEvent[]> {
    const { rows } = this.open();
    const filter = q.filter ?? {};
    const out: DbRow[] = [];
    const keep = (r: DbRow) => matchesFilter(filter, { type: r.type, key: r.key, runId: r.run_id });
    if (q.descending) {
      const end = q.after > 0 ? this.storage.indexAfter(q.after - 1) : rows.length;
      for (let i = end - 1; i >= 0 && out.length < q.limit; i--) if (keep(rows[i]!)) out.push(rows[i]!);
    } else {
      for (let i = this.storage.indexAfter(q.after); i < rows.length && out.length < q.limit; i++) if (keep(rows[i]!)) out.push(rows[i]!);
    }
    return this.eventsFromRows(out);
  }

  async head(): Promise<number> {
    return this.open().head.seq;
  }

  async getEvent(seq: number): Promise<SpineEvent | null> {
    const row = this.open().rowAt(seq);
    return row ? (await this.eventsFromRows([row]))[0]! : null;
  }

  async getEnvelope(runId: string): Promise<Envelope | null> {
    const s = this.open();
    const env = s.envelopes.get(runId);
    if (!env) return null;
    const recent: { seq: number; type: string; source_kind: string; source_name: string; time_ms: number | string }[] = [];
    let total = 0;
    for (let i = s.rows.length - 1; i >= 0; i--) {
      const r = s.rows[i]!;
      if (r.run_id !== runId) continue;
      total++;
      if (recent.length < HISTORY_LIMIT) recent.push({ seq: Number(r.seq), type: r.type, source_kind: r.source_kind, source_name: r.source_name, time_ms: r.time_ms });
    }
    const { openedSeq: _opened, updatedSeq: _updated, ...record } = structuredClone(env);
    return withHistory(record, recent, total);
  }

  async getRun(runId: string): Promise<RunIndexRow | null> {
    const run = this.open().runs.get(runId);
    return run ? structuredClone(run) : null;
  }

  async listRuns(q: RunQuery): Promise<RunIndexRow[]> {
    const runs = [...this.open().runs.values()].filter(
      (r) =>
        (!q.statuses?.length || q.statuses.includes(r.status)) &&
        (!q.workflowId || r.workflowId === q.workflowId) &&
        (!q.key || r.key === q.key) &&
        (!q.beforeSeq || r.startedSeq < q.beforeSeq),
    );
    runs.sort((a, b) => (q.order === 'asc' ? a.startedSeq - b.startedSeq : b.startedSeq - a.startedSeq));
    return runs.slice(0, q.limit).map((r) => structuredClone(r));
  }

  async verify(fromSeq = 1, toSeq?: number): Promise<VerifyResult> {
    const s = this.open();
    const head = s.head;
    const last = Math.min(toSeq ?? head.seq, head.seq);
    const from = Math.max(1, fromSeq);
    const prev = from > 1 ? s.rowAt(from - 1)?.hash : GENESIS_HASH;
    const v = new ChainVerifier(from, prev ?? GENESIS_HASH);
    const blobs: { seq: number; ref: BlobRef }[] = [];
    for (let i = s.indexAfter(from - 1); i < s.rows.length; i++) {
      const row = toStoredRow(s.rows[i]!);
      if (row.seq > last) break;
      if (!v.push(row)) break;
      const ref = blobRefOf(row.payload);
      if (ref) blobs.push({ seq: row.seq, ref });
    }
    return this.withBlobChecks(verdict(v, from, last, head.seq, head.hash), blobs);
  }

  async loadOffset(consumer: string): Promise<number | null> {
    return this.open().consumers.get(consumer)?.offset ?? null;
  }

  async saveOffset(consumer: string, seq: number, filter: EventFilter): Promise<void> {
    this.open().consumers.set(consumer, { offset: seq, filter: structuredClone(filter), updatedMs: Date.now() });
  }

  /** The storage, or the error a closed database connection gives. */
  private open(): MemoryLogStorage {
    if (this.closed) throw new Error('spine: log is closed');
    return this.storage;
  }
}

/** A sequenced row in the stored (column) form the real logs read back. */
function toDbRow(r: StoredRow): DbRow {
  return {
    seq: r.seq,
    id: r.id,
    type: r.type,
    key: r.key,
    run_id: r.runId,
    causation_id: r.causationId,
    source_kind: r.sourceKind,
    source_name: r.sourceName,
    time_ms: r.timeMs,
    envelope_version: r.envelopeVersion,
    payload: r.payload,
    idempotency_key: r.idempotencyKey,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}
