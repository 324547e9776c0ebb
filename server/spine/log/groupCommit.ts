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

export class GroupCommitter<I, R> {
  private queue: Pending<I, R>[] = [];
  private running = false;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly commit: (batch: I[][]) => Promise<CommitOutcome<R>[]>,
    private readonly maxItemsPerBatch = 4096,
  ) {}

  submit(items: I[]): Promise<R> {
    if (this.closed) return Promise.reject(new Error('spine: log is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let appends issued in the same tick join this batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Stops accepting appends and resolves once every accepted append has committed or failed. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.running && this.queue.length === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
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

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      try {
        const outcomes = await this.commit(batch.map((p) => p.items));
        batch.forEach((p, i) => settle(p, outcomes[i]!));
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        else {
          for (const p of batch) {
            try {
              const [outcome] = await this.commit([p.items]);
              settle(p, outcome!);
            } catch (e) {
              p.reject(e);
            }
          }
        }
      }
    }
    this.running = false;
    for (const r of this.idle.splice(0)) r();
  }
}

function settle<I, R>(p: Pending<I, R>, o: CommitOutcome<R>) {
  if (o.ok) p.resolve(o.value);
  else p.reject(o.error);
}
