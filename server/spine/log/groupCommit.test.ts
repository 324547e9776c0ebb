import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './groupCommit';

describe('GroupCommitter', () => {
  it('writes appends issued together in one commit and acknowledges each with its own result', async () => {
    const batches: number[][][] = [];
    const gc = new GroupCommitter<number, number>(async (batch) => {
      batches.push(batch);
      return batch.map((items) => ({ ok: true as const, value: items.reduce((a, b) => a + b, 0) }));
    });
    const results = await Promise.all([gc.submit([1]), gc.submit([2, 3]), gc.submit([4])]);
    expect(results).toEqual([1, 5, 4]);
    expect(batches).toEqual([[[1], [2, 3], [4]]]);
  });

  it('appends that arrive during a commit go into the next one', async () => {
    const batches: number[][][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommitter<number, number>(async (batch) => {
      batches.push(batch);
      if (batches.length === 1) await gate;
      return batch.map(() => ({ ok: true as const, value: 0 }));
    });
    const first = gc.submit([1]);
    await new Promise((r) => setImmediate(r));
    const later = [gc.submit([2]), gc.submit([3])];
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[[1]], [[2], [3]]]);
  });

  it('when a whole commit throws, each submission is retried alone so only the bad one fails', async () => {
    const gc = new GroupCommitter<number, number>(async (batch) => {
      if (batch.flat().includes(13)) throw new Error('unlucky');
      return batch.map((items) => ({ ok: true as const, value: items[0]! }));
    });
    const results = await Promise.allSettled([gc.submit([1]), gc.submit([13]), gc.submit([2])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('close waits for accepted appends and refuses new ones', async () => {
    const gc = new GroupCommitter<number, number>(async (batch) => batch.map(() => ({ ok: true as const, value: 1 })));
    const pending = gc.submit([1]);
    await gc.close();
    await expect(pending).resolves.toBe(1);
    await expect(gc.submit([2])).rejects.toThrow(/closed/);
  });

  it('with two batches in flight, appends made during a commit start committing before it returns', async () => {
    const started: number[][][] = [];
    const gates: Array<() => void> = [];
    const gc = new GroupCommitter<number, number>(
      async (batch) => {
        started.push(batch);
        await new Promise<void>((r) => gates.push(r));
        return batch.map((items) => ({ ok: true as const, value: items[0]! }));
      },
      { inFlight: 2 },
    );
    const first = gc.submit([1]);
    await new Promise((r) => setImmediate(r));
    const second = gc.submit([2]);
    await new Promise((r) => setImmediate(r));
    const third = gc.submit([3]);
    await new Promise((r) => setImmediate(r));
    // The first is still committing; the second went out beside it; the third waits for a free slot.
    expect(started).toEqual([[[1]], [[2]]]);
    gates.shift()!();
    await expect(first).resolves.toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([[[1]], [[2]], [[3]]]);
    gates.shift()!();
    gates.shift()!();
    await expect(Promise.all([second, third])).resolves.toEqual([2, 3]);
  });

  it('acknowledges a large batch a chunk per turn, so the first callers’ next appends commit while later ones wait', async () => {
    const started: number[] = [];
    const gc = new GroupCommitter<number, number>(
      async (batch) => {
        started.push(batch.length);
        return batch.map((items) => ({ ok: true as const, value: items[0]! }));
      },
      { inFlight: 2 },
    );
    const acked: number[] = [];
    const follow: Promise<number>[] = [];
    const all = Array.from({ length: 100 }, (_, i) =>
      gc.submit([i]).then((v) => {
        acked.push(v);
        // The first caller appends again at once: that append must be launched before the last caller is acknowledged.
        if (v === 0) follow.push(gc.submit([1000]).then((x) => (acked.push(x), x)));
        return v;
      }),
    );
    await Promise.all(all);
    await Promise.all(follow);
    expect(started[0]).toBe(100);
    expect(started[1]).toBe(1);
    expect(acked.indexOf(1000)).toBeLessThan(acked.indexOf(99));
    expect([...acked].filter((v) => v !== 1000)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('close waits for batches in flight and for their acknowledgements', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommitter<number, number>(
      async (batch) => {
        await gate;
        return batch.map(() => ({ ok: true as const, value: 7 }));
      },
      { inFlight: 2 },
    );
    const pending = Array.from({ length: 80 }, (_, i) => gc.submit([i]));
    let closed = false;
    const closing = gc.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    await closing;
    const settled = await Promise.allSettled(pending);
    expect(settled.every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('close resolves when a batch in flight took the appends a scheduled turn was meant for', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommitter<number, number>(
      async (batch) => {
        if (batch.flat().includes(1)) await gate;
        return batch.map(() => ({ ok: true as const, value: 1 }));
      },
      { inFlight: 2 },
    );
    const first = gc.submit([1]);
    await new Promise((r) => setImmediate(r));
    const second = gc.submit([2]); // schedules a turn; the first batch's return takes it before that turn
    const closing = gc.close();
    release();
    await expect(Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 500))])).resolves.toBe('closed');
    await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);
  });
});
