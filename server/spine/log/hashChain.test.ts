/**
 * canonicalJson: one text per value (keys sorted at every level), and a TypeError naming where a value
 * is not plain JSON. The fast writer builds no paths, so these pin the messages its slow re-walk gives.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalSlot, MAX_JSON_DEPTH } from './hashChain';

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [{ z: true, y: null }, 'x', []], c: { e: {}, d: -0.5 }, u: undefined })).toBe('{"a":[{"y":null,"z":true},"x",[]],"b":1,"c":{"d":-0.5,"e":{}}}');
    expect(canonicalJson('a"\n')).toBe(JSON.stringify('a"\n'));
    expect(canonicalJson(Object.assign(Object.create(null), { b: 2, a: 1 }))).toBe('{"a":1,"b":2}');
  });

  it('gives the same text whatever order the keys were written in', () => {
    const keys = Array.from({ length: 50 }, (_, i) => `k${(i * 37) % 50}`);
    const forward = Object.fromEntries(keys.map((k) => [k, { n: k }]));
    const backward = Object.fromEntries([...keys].reverse().map((k) => [k, { n: k }]));
    expect(canonicalJson(forward)).toBe(canonicalJson(backward));
  });

  it('orders keys as Array.prototype.sort does (code units), for few keys and for many', () => {
    const pool = ['b', 'B', 'a', '_', 'é', 'e', 'Z', '10', '9', 'aa', 'a-b', 'ü', '😀', 'A', ''];
    for (const n of [2, 5, 15, 40]) {
      const keys = Array.from({ length: n }, (_, i) => `${pool[(i * 7) % pool.length]}${i >= pool.length ? i : ''}`);
      const obj = Object.fromEntries(keys.map((k, i) => [k, i]));
      const expected = `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${obj[k]}`).join(',')}}`;
      expect(canonicalJson(obj)).toBe(expected);
    }
  });

  it('names where a value is not plain JSON', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(new TypeError('$.a[1] is not a finite number'));
    expect(() => canonicalJson({ a: { when: new Date(0) } })).toThrow(new TypeError('$.a.when is not a plain JSON object'));
    expect(() => canonicalJson([1, undefined])).toThrow(new TypeError('$[1] is undefined, which is not JSON'));
    expect(() => canonicalJson({ n: 10n })).toThrow(new TypeError('$.n is bigint, which is not JSON'));
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(`nests deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('writes the two halves around a number known later, as canonicalJson would with it in place', () => {
    for (const obj of [{}, { a: 1 }, { z: [1, { y: 2, x: 1 }] }, { a: 1, basedOnSeq: 7, zz: 'x' }, { basedOnSeq: undefined, c: null }]) {
      const [before, after] = canonicalSlot(obj, 'basedOnSeq');
      for (const n of [0, 42, 1234567]) expect(before + String(n) + after).toBe(canonicalJson({ ...obj, basedOnSeq: n }));
    }
    expect(() => canonicalSlot({ a: { b: Number.POSITIVE_INFINITY } }, 'basedOnSeq')).toThrow(new TypeError('$.a.b is not a finite number'));
  });
});
