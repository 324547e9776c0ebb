import { describe, expect, it } from 'vitest';
import { autoLayout } from './layout';

const fan = (ys: number[]) => {
  const nodes = [{ id: 't' }, { id: 'f' }, ...ys.map((y, i) => ({ id: `a${i + 1}`, y })), { id: 'j' }];
  const edges = [{ source: 't', target: 'f' }, ...ys.map((_, i) => ({ source: 'f', target: `a${i + 1}` })), ...ys.map((_, i) => ({ source: `a${i + 1}`, target: 'j' }))];
  return autoLayout(nodes, edges);
};

describe('auto-layout', () => {
  it('puts each step in a column to the right of the one before, on the 16 px grid', () => {
    const p = fan([0, 100, 200]);
    expect(p.get('t')!.x).toBeLessThan(p.get('f')!.x);
    expect(p.get('f')!.x).toBeLessThan(p.get('a1')!.x);
    expect(p.get('a1')!.x).toBeLessThan(p.get('j')!.x);
    for (const { x, y } of p.values()) expect([x % 16, y % 16]).toEqual([0, 0]);
  });

  it('keeps the vertical order branches had, and does not overlap them', () => {
    const p = fan([0, 100, 200, 300, 400]);
    const ys = [1, 2, 3, 4, 5].map((i) => p.get(`a${i}`)!.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    for (let i = 1; i < ys.length; i++) expect(ys[i]! - ys[i - 1]!).toBeGreaterThanOrEqual(96);
    const reversed = fan([400, 300, 200, 100, 0]);
    expect(reversed.get('a5')!.y).toBeLessThan(reversed.get('a1')!.y);
  });

  it('places nodes that are not connected too', () => {
    expect(autoLayout([{ id: 'x' }, { id: 'y' }], []).size).toBe(2);
  });

  it('orders branches by port, whatever order they were drawn in, so they do not cross', () => {
    // A router's route above its default; an approval's approved above rejected, though drawn the other way.
    const nodes = [
      { id: 't', y: 0 },
      { id: 'r', y: 0, ports: ['high', 'mid', 'default'] },
      { id: 'other', y: 0 },
      { id: 'high', y: 200 },
      { id: 'mid', y: 400 },
      { id: 'a', y: 0, ports: ['approved', 'rejected'] },
      { id: 'ok', y: 300 },
      { id: 'no', y: 100 },
    ];
    const edges = [
      { source: 't', target: 'r' },
      { source: 'r', target: 'other', sourceHandle: 'default' },
      { source: 'r', target: 'mid', sourceHandle: 'mid' },
      { source: 'r', target: 'high', sourceHandle: 'high' },
      { source: 'high', target: 'a' },
      { source: 'a', target: 'no', sourceHandle: 'rejected' },
      { source: 'a', target: 'ok', sourceHandle: 'approved' },
    ];
    const p = autoLayout(nodes, edges);
    expect(p.get('high')!.y).toBeLessThan(p.get('mid')!.y);
    expect(p.get('mid')!.y).toBeLessThan(p.get('other')!.y);
    expect(p.get('ok')!.y).toBeLessThan(p.get('no')!.y);
  });

  it('puts the children of an upper node above those of a lower one', () => {
    const nodes = [{ id: 't' }, { id: 'f' }, { id: 'up', y: 0 }, { id: 'down', y: 300 }, { id: 'c-down', y: 0 }, { id: 'c-up', y: 300 }];
    const edges = [
      { source: 't', target: 'f' },
      { source: 'f', target: 'up' },
      { source: 'f', target: 'down' },
      { source: 'up', target: 'c-up' },
      { source: 'down', target: 'c-down' },
    ];
    const p = autoLayout(nodes, edges);
    expect(p.get('c-up')!.y).toBeLessThan(p.get('c-down')!.y);
  });
});
