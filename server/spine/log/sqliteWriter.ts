/**
 * The SQLite log's writer thread (opt-in: `SPINE_SQLITE_WRITER=thread`; see sqliteEventLog.ts for what it
 * costs and buys): the commit of every group-commit batch (the sequencer, the hash chain,
 * the inserts and the fsync) runs on a worker thread with its own connection, so the event loop goes on
 * with agent timers, HTTP requests and the engine's next decisions while a batch commits. Reads stay on the
 * log's own connection: WAL lets them run beside the writer, and a reply arrives only after its COMMIT, so
 * whatever the caller reads next already sees it.
 *
 * Up to two batches are on their way at once (the GroupCommitter's `inFlight`: the thread starts the next
 * while the last one's reply is being handled); the thread takes them one at a time from one queue on one
 * connection, so replies come back in commit order and commit listeners are told in seq order, as with
 * the inline writer. The thread holds no state
 * of its own beyond its connection and prepared statements: everything the sequencer needs is read inside
 * the transaction, as before.
 *
 * What crosses the thread boundary (structured clone): the prepared events (a blob's content stays behind,
 * it is already on disk), and back the stored rows without their payload text, the outcomes, the new head,
 * and a payload only where the sequencer rewrote it (`basedOnSeq`). A SpineError refusing one submission
 * comes back as a SpineError with the same code, status and details.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SpineError, isSpineError, type ErrorStatus } from '@/server/errors';
import type { Json, SpineEvent } from '../events';
import type { CommitOutcome } from './groupCommit';
import { toEvent, type AppendResult, type BatchPlan, type Head, type PreparedEvent, type StoredRow } from './sequencer';

export type WriterRequest =
  | { id: number; op: 'commit'; batch: PreparedEvent[][] }
  | { id: number; op: 'exec'; sql: string; params: unknown[] }
  | { id: number; op: 'close' };

type WireError = { message: string; code?: string; spine?: { code: string; httpStatus: ErrorStatus; details?: unknown } };
type WireOutcome = { ok: true; value: AppendResult[] } | { ok: false; error: WireError };
/** A committed batch as the thread reports it. */
export type WireCommit = { head: Head; outcomes: WireOutcome[]; rows: StoredRow[]; rewritten: [number, Json][] };
export type WriterReply = { id: number; ok: true; commit?: WireCommit } | { id: number; ok: false; error: WireError };

export type CommittedBatch = { head: Head; outcomes: CommitOutcome<AppendResult[]>[]; events: SpineEvent[] };

/** The prepared events that became rows, in row order: each accepted submission's non-duplicate events. */
function rowSources(batch: PreparedEvent[][], outcomes: readonly { ok: boolean; value?: AppendResult[] }[]): PreparedEvent[] {
  const out: PreparedEvent[] = [];
  batch.forEach((sub, i) => {
    const o = outcomes[i]!;
    if (o.ok) o.value!.forEach((r, j) => r.duplicate || out.push(sub[j]!));
  });
  return out;
}

export function toWireError(e: unknown): WireError {
  if (isSpineError(e)) return { message: e.message, spine: { code: e.code, httpStatus: e.httpStatus, details: e.details } };
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return { message: err.message, ...(typeof code === 'string' && { code }) };
}

function fromWireError(w: WireError): Error {
  if (w.spine) return new SpineError(w.spine.code, w.message, w.spine.httpStatus, w.spine.details);
  return Object.assign(new Error(w.message), w.code ? { code: w.code } : {});
}

/** The thread's side: a committed plan, made small for the trip back. */
export function toWireCommit(batch: PreparedEvent[][], plan: BatchPlan): WireCommit {
  const sources = rowSources(batch, plan.outcomes);
  const rewritten: [number, Json][] = [];
  plan.events.forEach((e, k) => e.payload !== sources[k]!.payload && rewritten.push([k, e.payload]));
  return {
    head: plan.head,
    outcomes: plan.outcomes.map((o) => (o.ok ? o : { ok: false, error: toWireError(o.error) })),
    rows: plan.rows.map((r) => ({ ...r, payload: '' })),
    rewritten,
  };
}

/** The log's side: the events to tell commit listeners about, rebuilt around the payloads it already holds. */
function fromWireCommit(batch: PreparedEvent[][], w: WireCommit): CommittedBatch {
  const sources = rowSources(batch, w.outcomes);
  const time = w.rows.length ? new Date(w.rows[0]!.timeMs).toISOString() : '';
  const events = w.rows.map((r, k) => toEvent(r, sources[k]!.payload, time));
  for (const [k, payload] of w.rewritten) events[k]!.payload = payload;
  return { head: w.head, outcomes: w.outcomes.map((o) => (o.ok ? o : { ok: false, error: fromWireError(o.error) })), events };
}

/** A blob's bytes are on disk before its append enters group commit; the thread only needs to know there is one. */
function withoutBlobContent(batch: PreparedEvent[][]): PreparedEvent[][] {
  if (!batch.some((sub) => sub.some((e) => e.blob))) return batch;
  const empty = Buffer.alloc(0);
  return batch.map((sub) => sub.map((e) => (e.blob ? { ...e, blob: { ...e.blob, content: empty } } : e)));
}

function workerFile(): string {
  const name = 'sqliteWriter.boot.mjs';
  const beside = path.join(path.dirname(fileURLToPath(import.meta.url)), name);
  return existsSync(beside) ? beside : path.join(/*turbopackIgnore: true*/ process.cwd(), 'server', 'spine', 'log', name);
}

type Waiting = { resolve: (r: WriterReply) => void; reject: (e: Error) => void };

export class SqliteWriterThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private stopped: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(file: string, synchronous: 'FULL' | 'NORMAL') {
    this.worker = new Worker(workerFile(), { workerData: { file, synchronous } });
    this.worker.unref();
    this.worker.on('message', (r: WriterReply) => this.settle(r));
    this.worker.on('error', (e) => this.stop(e));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.stop(new Error(`spine: the SQLite writer thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  async commit(batch: PreparedEvent[][]): Promise<CommittedBatch> {
    const r = await this.request({ op: 'commit', batch: withoutBlobContent(batch) });
    return fromWireCommit(batch, (r as { commit: WireCommit }).commit);
  }

  /** A write outside group commit (a consumer offset), on the writer's connection so it never waits for the write lock here. */
  async exec(sql: string, params: unknown[]): Promise<void> {
    await this.request({ op: 'exec', sql, params });
  }

  async close(): Promise<void> {
    if (!this.stopped) await this.request({ op: 'close' }).catch(() => undefined);
    // Held until the thread has exited: unreferenced, a process with nothing else to do would end first.
    this.worker.ref();
    await this.exited;
  }

  private request(req: WriterRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never): Promise<WriterReply> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<WriterReply>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, {
        resolve: (r) => (r.ok ? resolve(r) : reject(fromWireError(r.error))),
        reject,
      });
      this.worker.postMessage({ id, ...req } as WriterRequest);
    });
  }

  private settle(r: WriterReply) {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if (this.waiting.size === 0) this.worker.unref();
    w.resolve(r);
  }

  private stop(e: Error) {
    if (this.stopped) return;
    this.stopped = e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}
