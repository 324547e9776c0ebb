/**
 * Group commit: appends that arrive while a transaction is being written wait and are then written
 * together in the next one. Each submission is acknowledged only after the transaction holding it has
 * committed. Throughput grows with load (one fsync / one lock round trip per batch, not per event),
 * while a lone append still commits at once.
 *
 * A submission's failure (a rejected envelope patch, say) fails only that submission: `commit` reports
 * per-submission results. If a whole transaction throws, each submission is retried alone so one bad
 * append cannot take its neighbours down with it.
 */

export type CommitOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

type Pending<I, R> = { items: I[]; resolve: (r: R) => void; reject: (e: unknown) => void };

export type GroupCommitOptions = {
  /** @default 4096 */
  maxItemsPerBatch?: number;
  /**
   * Batches committing at once. Above 1 the commit function must complete batches in the order it was
   * given them (the SQLite writer thread does: one queue, one connection). @default 1
   */
  inFlight?: number;
};

/** Submissions acknowledged per turn of the event loop once a batch has committed (see `settleInTurns`). */
const SETTLE_CHUNK = 32;

export class GroupCommitter<I, R> {
  private queue: Pending<I, R>[] = [];
  private inFlight = 0;
  /** Batches launched and not yet fully acknowledged. */
  private settling = 0;
  private scheduled = false;
  private closed = false;
  private idle: Array<() => void> = [];
  private readonly maxItemsPerBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly commit: (batch: I[][]) => Promise<CommitOutcome<R>[]>,
    opts: GroupCommitOptions = {},
  ) {
    this.maxItemsPerBatch = opts.maxItemsPerBatch ?? 4096;
    this.maxInFlight = Math.max(1, opts.inFlight ?? 1);
  }

  submit(items: I[]): Promise<R> {
    if (this.closed) return Promise.reject(new Error('spine: log is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.schedule();
    });
  }

  /** Stops accepting appends and resolves once every accepted append has committed or failed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.settling === 0 && !this.scheduled && this.queue.length === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  private schedule() {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // Let appends issued in the same tick join this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.launch();
      // A batch that finished meanwhile may already have taken what this turn was scheduled for.
      this.maybeIdle();
    });
  }

  private launch() {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.takeBatch();
      this.inFlight++;
      this.settling++;
      void this.commitAndSettle(batch, () => {
        this.inFlight--;
        if (this.queue.length > 0) this.launch();
      }).then(() => {
        this.settling--;
        this.maybeIdle();
      });
    }
  }

  private maybeIdle() {
    if (this.settling === 0 && !this.scheduled && this.queue.length === 0) for (const r of this.idle.splice(0)) r();
  }

  private takeBatch(): Pending<I, R>[] {
    let n = 0;
    let count = 0;
    while (n < this.queue.length) {
      const size = this.queue[n]!.items.length;
      if (n > 0 && count + size > this.maxItemsPerBatch) break;
      count += size;
      n++;
    }
    return this.queue.splice(0, n);
  }

  /** Commits a batch, calls `committed` once the writer is free for the next one, then acknowledges the batch. */
  private async commitAndSettle(batch: Pending<I, R>[], committed: () => void): Promise<void> {
    let outcomes: CommitOutcome<R>[];
    try {
      outcomes = await this.commit(batch.map((p) => p.items));
    } catch (error) {
      if (batch.length === 1) {
        committed();
        return batch[0]!.reject(error);
      }
      for (const p of batch) {
        try {
          const [outcome] = await this.commit([p.items]);
          settle(p, outcome!);
        } catch (e) {
          p.reject(e);
        }
      }
      committed();
      return;
    }
    committed();
    if (this.maxInFlight === 1 || batch.length <= SETTLE_CHUNK) batch.forEach((p, i) => settle(p, outcomes[i]!));
    else await this.settleInTurns(batch, outcomes);
  }

  /**
   * With batches in flight beside the event loop, acknowledging a large batch all at once would let every
   * caller's follow-up work run in one go, and its appends would all wait for the next batch while the
   * writer idles. Acknowledged a chunk per turn, the appends of the first chunks are already committing
   * while the later ones' callers run. (Two turns: a batch scheduled by a chunk's callers is launched in
   * the turn after, before the next chunk.)
   */
  private async settleInTurns(batch: Pending<I, R>[], outcomes: CommitOutcome<R>[]): Promise<void> {
    for (let at = 0; at < batch.length; at += SETTLE_CHUNK) {
      if (at > 0) {
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
      }
      for (let i = at; i < Math.min(batch.length, at + SETTLE_CHUNK); i++) settle(batch[i]!, outcomes[i]!);
    }
  }
}

function settle<I, R>(p: Pending<I, R>, o: CommitOutcome<R>) {
  if (o.ok) p.resolve(o.value);
  else p.reject(o.error);
}
