import { describe, expect, it } from 'vitest';
import { durationAxis } from './durationAxis';

describe('duration axis', () => {
  it('writes every tick in the unit of the largest value', () => {
    const s = durationAxis(45_000);
    expect([0, 500, 15_000, 45_000].map(s.format)).toEqual(['0 s', '0.5 s', '15 s', '45 s']);
    const ms = durationAxis(800);
    expect([0, 200, 800].map(ms.format)).toEqual(['0 ms', '200 ms', '800 ms']);
    expect(durationAxis(10 * 60_000).format(90_000)).toBe('1.5 min');
    expect(durationAxis(5 * 3_600_000).unit).toBe('h');
  });
});
