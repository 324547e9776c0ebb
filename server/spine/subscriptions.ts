/**
 * Push subscriptions: an async iterator that yields matching events in seq order, first the history after
 * a cursor, then live events, with no gap and no duplicate at the seam.
 *
 * How the seam stays clean: the subscriber registers for commit wake-ups *before* it reads the backlog,
 * so a commit that lands during the backlog read is already buffered; every delivery advances a single
 * `cursor` and anything at or below it is skipped. Live events committed by this process arrive with the
 * wake-up and are yielded straight from memory when they continue the cursor; otherwise (another
 * process's commit, or a buffer overflow) the subscriber reads `seq > cursor` from the database, which is
 * complete because seq is commit-ordered. Nothing sleeps and polls: an idle subscriber awaits a wake-up.
 *
 * Durable named subscriptions (consumers) store a committed offset and resume after it on restart.
 */
import type { EventFilter, SpineEvent } from './events';
import { matchesFilter } from './events';
import type { EventLog } from './log/eventLog';

export type SubscribeOptions = EventFilter & {
  /** Deliver events with seq >= fromSeq. Without it (and without `after`) only new events are delivered. */
  fromSeq?: number;
  /** Deliver events with seq > after (a resume cursor such as Last-Event-ID). */
  after?: number;
  /** Ends the iteration (also while it waits for the next event). */
  signal?: AbortSignal;
  /** Events read from the database per query. @default 500 */
  pageSize?: number;
};

const MAX_BUFFERED = 20_000;

/** Collects commit wake-ups between reads. */
class Tail {
  head = 0;
  chunks: SpineEvent[][] = [];
  buffered = 0;
  overflow = false;
  private wake?: () => void;

  push(head: number, events?: SpineEvent[]) {
    if (head > this.head) this.head = head;
    if (events && !this.overflow) {
      this.chunks.push(events);
      this.buffered += events.length;
      if (this.buffered > MAX_BUFFERED) this.dropBuffer();
    }
    this.wake?.();
  }

  hasChunks(): boolean {
    return this.chunks.length > 0;
  }

  dropBuffer() {
    this.overflow = true;
    this.chunks = [];
    this.buffered = 0;
  }

  take(): SpineEvent[][] {
    const c = this.chunks;
    this.chunks = [];
    this.buffered = 0;
    this.overflow = false;
    return c;
  }

  wait(signal?: AbortSignal): Promise<void> {
    // An abort that landed before this call would never fire its event again: check first.
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.wake = undefined;
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * @example
 * for await (const e of subscribe(log, { types: ['case.*'], fromSeq: 1, signal })) handle(e);
 */
export async function* subscribe(log: EventLog, opts: SubscribeOptions = {}): AsyncGenerator<SpineEvent> {
  const filter: EventFilter = { types: opts.types, key: opts.key, runId: opts.runId };
  const pageSize = opts.pageSize ?? 500;
  const tail = new Tail();
  // Register for wake-ups first, then read: nothing committed from here on can be missed.
  const unsubscribe = log.onCommit((head, events) => tail.push(head, events));
  try {
    let known = await log.head();
    let cursor = opts.after ?? (opts.fromSeq !== undefined ? opts.fromSeq - 1 : known);
    while (!opts.signal?.aborted) {
      // 1. Live: take buffered local commits that continue the cursor, straight from memory.
      let gap = false;
      for (const chunk of tail.take()) {
        const last = chunk[chunk.length - 1]!;
        if (last.seq <= cursor) continue;
        if (chunk[0]!.seq > cursor + 1) {
          gap = true;
          break;
        }
        for (const e of chunk) {
          if (e.seq <= cursor) continue;
          cursor = e.seq;
          if (matchesFilter(filter, e)) yield e;
        }
      }
      known = Math.max(known, tail.head);
      if (cursor >= known) {
        // 2. Idle: wait for the next commit wake-up (or abort).
        await tail.wait(opts.signal);
        continue;
      }
      // Commits buffered while those events were handled continue from memory too.
      if (!gap && tail.hasChunks()) continue;
      // 3. Catch up from the database up to the head known before the read: the backlog, another
      //    process's commits, or what a buffer overflow dropped.
      while (cursor < known && !opts.signal?.aborted) {
        const target = known;
        const page = await log.read({ after: cursor, limit: pageSize, filter });
        for (const e of page) {
          if (e.seq <= cursor) continue;
          cursor = e.seq;
          yield e;
        }
        if (page.length < pageSize) cursor = Math.max(cursor, target);
      }
    }
  } finally {
    unsubscribe();
  }
}

export type Consumer = {
  readonly name: string;
  /** Events after the committed offset, then live. */
  events: AsyncGenerator<SpineEvent>;
  /** Records that everything up to `seq` is handled; a restart resumes after it. */
  commit(seq: number): Promise<void>;
};

/**
 * A durable named subscription (consumer group): resumes after its committed offset.
 * @example
 * const c = await openConsumer(log, 'billing', { types: ['order.*'] });
 * for await (const e of c.events) { await bill(e); await c.commit(e.seq); }
 */
export async function openConsumer(
  log: EventLog,
  name: string,
  filter: EventFilter & { fromSeq?: number; signal?: AbortSignal } = {},
): Promise<Consumer> {
  const stored = await log.loadOffset(name);
  const { fromSeq, signal, ...eventFilter } = filter;
  const after = stored ?? (fromSeq !== undefined ? fromSeq - 1 : 0);
  return {
    name,
    events: subscribe(log, { ...eventFilter, after, signal }),
    commit: (seq) => log.saveOffset(name, seq, eventFilter),
  };
}
