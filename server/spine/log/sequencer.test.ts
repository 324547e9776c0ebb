import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, ChainVerifier, canonicalJson } from './hashChain';
import { planBatch, type PreparedEvent } from './sequencer';

const ev = (type: string, extra: Partial<PreparedEvent> = {}): PreparedEvent => ({
  type, key: null, runId: null, causationId: null, sourceKind: 'system', sourceName: 'test', payload: {}, payloadText: '{}', idempotencyKey: null, id: null, basedOnIndex: null, ...extra,
});
let n = 0;
const ctx = (over: Partial<Parameters<typeof planBatch>[2]> = {}) => ({ existing: new Map(), envelopes: new Map(), nowMs: 1_700_000_000_000, newId: () => `id-${++n}`, ...over });

describe('planBatch (the sequencer core)', () => {
  it('numbers a batch after the head and chains each hash to the previous one', () => {
    const plan = planBatch({ seq: 41, hash: 'h41' }, [[ev('a.one')], [ev('a.two'), ev('a.three')]], ctx());
    expect(plan.rows.map((r) => r.seq)).toEqual([42, 43, 44]);
    expect(plan.rows[0]!.prevHash).toBe('h41');
    expect(plan.rows[1]!.prevHash).toBe(plan.rows[0]!.hash);
    expect(plan.head).toEqual({ seq: 44, hash: plan.rows[2]!.hash });
    expect(plan.outcomes.map((o) => o.ok)).toEqual([true, true]);
  });

  it('a failing submission consumes no seq and leaves its neighbours intact', () => {
    const plan = planBatch({ seq: 0, hash: GENESIS_HASH }, [[ev('a.one')], [ev('b.one'), ev('context.patched', { runId: null })], [ev('c.one')]], ctx());
    expect(plan.rows.map((r) => [r.seq, r.type])).toEqual([[1, 'a.one'], [2, 'c.one']]);
    expect(plan.rows[1]!.prevHash).toBe(plan.rows[0]!.hash);
    expect(plan.outcomes.map((o) => o.ok)).toEqual([true, false, true]);
  });

  it('resolves idempotency keys against the log and within the batch', () => {
    const existing = new Map([['k-old', { seq: 3, id: 'old' }]]);
    const plan = planBatch({ seq: 10, hash: 'h' }, [[ev('a.b', { idempotencyKey: 'k-old' })], [ev('a.b', { idempotencyKey: 'k-new' })], [ev('a.b', { idempotencyKey: 'k-new' })]], ctx({ existing }));
    expect(plan.rows).toHaveLength(1);
    const values = plan.outcomes.map((o) => (o.ok ? o.value[0] : null));
    expect(values[0]).toEqual({ seq: 3, id: 'old', duplicate: true });
    expect(values[1]).toMatchObject({ seq: 11, duplicate: false });
    expect(values[2]).toEqual({ seq: values[1]!.seq, id: values[1]!.id, duplicate: true });
  });

  it('stamps run events with the envelope version and bumps it on context.patched', () => {
    const plan = planBatch({ seq: 0, hash: GENESIS_HASH }, [[
      ev('run.started', { runId: 'r', payload: { state: {} } }),
      ev('x.y', { runId: 'r' }),
      ev('context.patched', { runId: 'r', payload: { patch: { a: 1 } } }),
      ev('x.z', { runId: 'r' }),
      ev('x.free'),
    ]], ctx());
    expect(plan.rows.map((r) => r.envelopeVersion)).toEqual([1, 1, 2, 2, null]);
    expect(plan.envelopes.get('r')).toMatchObject({ version: 2, state: { a: 1 }, openedSeq: 1, updatedSeq: 3 });
  });

  it('the same batch plans to the same rows; the verifier accepts them and rejects an edit', () => {
    const make = () => { n = 0; return planBatch({ seq: 0, hash: GENESIS_HASH }, [[ev('a.b', { payloadText: canonicalJson({ z: 1, a: 2 }) })], [ev('c.d')]], ctx()); };
    expect(make().rows).toEqual(make().rows);
    const rows = make().rows;
    const ok = new ChainVerifier(1, GENESIS_HASH);
    expect(rows.every((r) => ok.push(r))).toBe(true);
    const bad = new ChainVerifier(1, GENESIS_HASH);
    bad.push(rows[0]!);
    bad.push({ ...rows[1]!, payload: '{"x":1}' });
    expect(bad.bad).toEqual({ seq: 2, reason: 'hash_mismatch' });
  });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":2,"y":1}]},"b":1}');
  });
});

describe('canonicalJson as the payload check', () => {
  it('refuses what is not plain JSON, naming where', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const [bad, where] of [[{ a: undefined === undefined ? () => 1 : 1 }, '$.a'], [{ n: NaN }, '$.n'], [[1, 2n], '$[1]'], [new Date(0), '$'], [{ deep: cyclic }, 'deeper'], [[undefined], '$[0]']] as const)
      expect(() => canonicalJson(bad)).toThrow(where);
  });

  it('keeps an id chosen in advance, and a cause naming a duplicate points at the original', () => {
    const existing = new Map([['k-dup', { seq: 7, id: 'original-7' }]]);
    const plan = planBatch({ seq: 10, hash: 'h10' }, [[
      ev('a.dup', { id: 'chosen-1', idempotencyKey: 'k-dup' }),
      ev('a.next', { id: 'chosen-2', causationId: 'chosen-1' }),
      ev('a.last', { causationId: 'chosen-2' }),
    ]], ctx({ existing }));
    expect(plan.rows.map((r) => [r.seq, r.id, r.causationId])).toEqual([[11, 'chosen-2', 'original-7'], [12, expect.stringMatching(/^id-/), 'chosen-2']]);
  });

  it('writes the seq of an earlier event of the same append into payload.basedOnSeq, and hashes that text', () => {
    const plan = planBatch({ seq: 99, hash: 'h99' }, [[ev('a.first'), ev('task.dispatched', { payload: { nodeId: 'a' }, payloadText: '{"nodeId":"a"}', basedOnIndex: 0 })]], ctx());
    expect(plan.events[1]!.payload).toEqual({ nodeId: 'a', basedOnSeq: 100 });
    expect(plan.rows[1]!.payload).toBe(canonicalJson({ nodeId: 'a', basedOnSeq: 100 }));
  });
});
