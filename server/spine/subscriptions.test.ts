/**
 * Specs of push subscriptions and durable consumers (subscriptions.ts) on the in-memory log: history then
 * live without gap or duplicate under concurrent writers, resume cursors, paging, backpressure (a subscriber
 * that falls behind more than the live buffer holds catches up by reading), wake-ups from another writer on
 * the same storage (another process), and consumers that resume after their committed offset. None of this
 * needs a database; the contract suite (log/eventLog.contract.ts) checks that the real logs behave alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spineOver, type EventLog, type Spine, type SpineEvent } from '@/server/spine';
import { MemoryEventLog, MemoryLogStorage } from './log/memoryEventLog';
import { subscribe } from './subscriptions';

const opened: Spine[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

function memorySpine(storage = new MemoryLogStorage()): Spine {
  const spine = spineOver(new MemoryEventLog({ storage }));
  opened.push(spine);
  return spine;
}

async function take(it: AsyncGenerator<SpineEvent>, n: number): Promise<SpineEvent[]> {
  const out: SpineEvent[] = [];
  if (n === 0) return out;
  for await (const e of it) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

/** The next `n` events, leaving the subscription open (`take` ends it, as a `break` out of `for await` does). */
async function pull(it: AsyncGenerator<SpineEvent>, n: number): Promise<SpineEvent[]> {
  const out: SpineEvent[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const seqs = (events: SpineEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Lets pending wake-ups and group commits run. */
const settle = () => new Promise((r) => setTimeout(r, 20));

/** The log, with its `read` calls counted: tells whether a subscriber read the log or was served from memory. */
function countingReads(log: EventLog): { log: EventLog; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(log, {
    get(target, prop, receiver) {
      if (prop === 'read') return (...args: Parameters<EventLog['read']>) => (reads++, target.read(...args));
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { log: counted, reads: () => reads };
}

describe('subscriptions: history then live', () => {
  it('8 concurrent writers × 500 appends: two subscribers from seq 1 each see all 4,000, gapless, per-writer order kept', async () => {
    const spine = memorySpine();
    await spine.append(range(1, 10).map((i) => ({ type: 'load.before', payload: { i } })));
    const tails = [take(spine.subscribe({ fromSeq: 1 }), 4010), take(spine.subscribe({ fromSeq: 1, types: ['load.appended'] }), 4000)];
    await Promise.all(
      range(0, 7).map(async (w) => {
        for (let i = 0; i < 500; i++) await spine.publish({ type: 'load.appended', key: `w-${w}`, payload: { w, i } });
      }),
    );
    const [all, appended] = await Promise.all(tails);
    expect(seqs(all!)).toEqual(range(1, 4010));
    expect(seqs(appended!)).toEqual(range(11, 4010));
    const last = new Map<string, number>();
    for (const e of appended!) {
      const { i } = e.payload as { i: number };
      expect(i).toBe((last.get(e.key!) ?? -1) + 1);
      last.set(e.key!, i);
    }
  });

  it('resumes after a cursor (Last-Event-ID): events with seq > after, then live', async () => {
    const spine = memorySpine();
    await spine.append(range(1, 5).map((i) => ({ type: 'tick.ticked', payload: { i } })));
    const resumed = take(spine.subscribe({ after: 3 }), 4);
    await settle();
    await spine.append([{ type: 'tick.ticked' }, { type: 'tick.ticked' }]);
    expect(seqs(await resumed)).toEqual([4, 5, 6, 7]);
  });

  it('a cursor at the head delivers only what is committed after it; fromSeq beyond the head waits for that seq', async () => {
    const spine = memorySpine();
    await spine.append(range(1, 3).map(() => ({ type: 'tick.ticked' })));
    const atHead = take(spine.subscribe({ after: 3 }), 2);
    const ahead = take(spine.subscribe({ fromSeq: 6 }), 2);
    await settle();
    for (let i = 0; i < 4; i++) await spine.publish({ type: 'tick.ticked' });
    expect(seqs(await atHead)).toEqual([4, 5]);
    expect(seqs(await ahead)).toEqual([6, 7]);
  });

  it('reads a long history in pages of pageSize, filtered pages included, without gap or duplicate', async () => {
    const spine = memorySpine();
    const { log, reads } = countingReads(spine.log);
    await spine.append(range(1, 50).map((i) => ({ type: i % 5 === 0 ? 'rare.event' : 'common.event', payload: { i } })));
    expect(seqs(await take(subscribe(log, { fromSeq: 1, pageSize: 7 }), 50))).toEqual(range(1, 50));
    expect(reads()).toBe(8);
    expect(seqs(await take(subscribe(log, { fromSeq: 1, pageSize: 3, types: ['rare.*'] }), 10))).toEqual(range(1, 10).map((i) => i * 5));
  });

  it('live events committed here are served from memory: no read once the subscriber has caught up', async () => {
    const spine = memorySpine();
    const { log, reads } = countingReads(spine.log);
    await spine.append(range(1, 3).map(() => ({ type: 'tick.ticked' })));
    const sub = subscribe(log, { fromSeq: 1 });
    expect(seqs(await pull(sub, 3))).toEqual([1, 2, 3]);
    const before = reads();
    const next = pull(sub, 20);
    for (let i = 0; i < 20; i++) await spine.publish({ type: 'tick.ticked', payload: { i } });
    expect(seqs(await next)).toEqual(range(4, 23));
    expect(reads()).toBe(before);
  });

  it('backpressure: a subscriber that falls more than 20,000 events behind drops its buffer and catches up by reading, missing nothing', async () => {
    const spine = memorySpine();
    const { log, reads } = countingReads(spine.log);
    const sub = subscribe(log, { fromSeq: 1 });
    const first = sub.next();
    await spine.publish({ type: 'burst.first' });
    expect((await first).value).toMatchObject({ seq: 1 });
    const before = reads();
    // The subscriber does not pull while 25,000 events commit: more than its live buffer holds.
    for (let b = 0; b < 25; b++) await spine.append(range(1, 1000).map((i) => ({ type: 'burst.event', payload: { b, i } })));
    expect(seqs(await pull(sub, 25_000))).toEqual(range(2, 25_001));
    expect(reads() - before).toBeGreaterThanOrEqual(50); // 25,000 events in pages of 500
    // Caught up, it is served from memory again.
    const live = pull(sub, 1);
    const afterCatchUp = reads();
    await spine.publish({ type: 'burst.after' });
    expect(seqs(await live)).toEqual([25_002]);
    expect(reads()).toBe(afterCatchUp);
  });

  it('commits by another writer on the same storage (another process) arrive by a head-only wake-up and a read', async () => {
    const storage = new MemoryLogStorage();
    const here = memorySpine(storage);
    const there = memorySpine(storage);
    const { log, reads } = countingReads(here.log);
    const sub = subscribe(log, { types: ['remote.*', 'local.*'] });
    // Only the other writer commits: nothing here would wake the subscriber but its head-only wake-up.
    const remoteOnly = pull(sub, 5);
    await settle();
    for (let i = 0; i < 5; i++) await there.publish({ type: 'remote.event', payload: { i } });
    expect(seqs(await remoteOnly)).toEqual(range(1, 5));
    expect(reads()).toBeGreaterThan(0);
    // Both writing at once: one gapless sequence either way.
    const mixed = pull(sub, 40);
    await Promise.all([
      (async () => {
        for (let i = 0; i < 20; i++) await there.publish({ type: 'remote.event', payload: { i } });
      })(),
      (async () => {
        for (let i = 0; i < 20; i++) await here.publish({ type: 'local.event', payload: { i } });
      })(),
    ]);
    const got = await mixed;
    expect(seqs(got)).toEqual(range(6, 45));
    expect(got.filter((e) => e.type === 'remote.event')).toHaveLength(20);
    await sub.return(undefined);
  });

  it('ends when aborted while it reads history', async () => {
    const spine = memorySpine();
    await spine.append(range(1, 100).map(() => ({ type: 'tick.ticked' })));
    const ac = new AbortController();
    const got: number[] = [];
    for await (const e of spine.subscribe({ fromSeq: 1, pageSize: 10, signal: ac.signal })) {
      got.push(e.seq);
      if (e.seq === 25) ac.abort();
    }
    expect(got.at(-1)).toBeLessThanOrEqual(30);
    expect(got.slice(0, 25)).toEqual(range(1, 25));
  });
});

describe('durable consumers', () => {
  it('a new consumer without fromSeq starts at the beginning of the log', async () => {
    const spine = memorySpine();
    await spine.append(range(1, 3).map(() => ({ type: 'mail.sent' })));
    const c = await spine.consumer('fresh');
    expect(seqs(await take(c.events, 3))).toEqual([1, 2, 3]);
  });

  it('resumes after its committed offset, not after what it was merely handed: uncommitted events come again', async () => {
    const storage = new MemoryLogStorage();
    const first = memorySpine(storage);
    await first.append(range(1, 6).map((i) => ({ type: 'mail.sent', payload: { i } })));
    const c1 = await first.consumer('mailer');
    expect(seqs(await take(c1.events, 4))).toEqual([1, 2, 3, 4]);
    await c1.commit(2); // handled 1 and 2; 3 and 4 were handed out but not committed
    await c1.events.return(undefined);
    await first.close();
    const second = memorySpine(storage);
    const c2 = await second.consumer('mailer');
    expect(seqs(await take(c2.events, 4))).toEqual([3, 4, 5, 6]);
  });

  it('a stored offset wins over fromSeq, and each consumer name keeps its own', async () => {
    const spine = memorySpine();
    await spine.append(range(1, 5).map(() => ({ type: 'order.placed' })));
    const billing = await spine.consumer('billing', { fromSeq: 1 });
    await take(billing.events, 3);
    await billing.commit(3);
    await billing.events.return(undefined);
    const again = await spine.consumer('billing', { fromSeq: 1 });
    const shipping = await spine.consumer('shipping', { fromSeq: 2 });
    expect(seqs(await take(again.events, 2))).toEqual([4, 5]);
    expect(seqs(await take(shipping.events, 4))).toEqual([2, 3, 4, 5]);
    expect(await spine.log.loadOffset('billing')).toBe(3);
    expect(await spine.log.loadOffset('shipping')).toBeNull();
  });

  it('a filtered consumer skips what does not match, and resumes past skipped events after its commit', async () => {
    const storage = new MemoryLogStorage();
    const spine = memorySpine(storage);
    await spine.append([{ type: 'mail.sent' }, { type: 'other.thing' }, { type: 'mail.sent' }, { type: 'other.thing' }]);
    const c = await spine.consumer('mailer', { types: ['mail.*'] });
    const got = await take(c.events, 2);
    expect(seqs(got)).toEqual([1, 3]);
    await c.commit(got[1]!.seq);
    await c.events.return(undefined);
    await spine.publish({ type: 'mail.sent' });
    const resumed = await memorySpine(storage).consumer('mailer', { types: ['mail.*'] });
    expect(seqs(await take(resumed.events, 1))).toEqual([5]);
  });
});
