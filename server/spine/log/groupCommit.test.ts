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
});
