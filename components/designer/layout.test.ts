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
});
