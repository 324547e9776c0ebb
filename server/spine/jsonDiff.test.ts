import { describe, expect, it } from 'vitest';
import { jsonDiff } from './jsonDiff';

describe('the difference between two envelope versions', () => {
  it('lists added, removed and changed paths, nested', () => {
    const v2 = { address: 'Old Street 1', addressCheck: { valid: true, address: 'Old Street 1' }, tags: ['a', 'b'], note: 'x' };
    const v3 = { address: 'New Avenue 2', addressCheck: { valid: true, address: 'Old Street 1' }, tags: ['a'], label: { text: 'L' } };
    expect(jsonDiff(v2, v3)).toEqual([
      { path: 'address', kind: 'changed', before: 'Old Street 1', after: 'New Avenue 2' },
      { path: 'label', kind: 'added', after: { text: 'L' } },
      { path: 'note', kind: 'removed', before: 'x' },
      { path: 'tags[1]', kind: 'removed', before: 'b' },
    ]);
  });

  it('is empty for equal values and quotes keys that are not identifiers', () => {
    expect(jsonDiff({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toEqual([]);
    expect(jsonDiff({ 'financial-impact': 1 }, { 'financial-impact': 2 })).toEqual([{ path: '["financial-impact"]', kind: 'changed', before: 1, after: 2 }]);
    expect(jsonDiff({ a: 1 }, [1])).toEqual([{ path: '(value)', kind: 'changed', before: { a: 1 }, after: [1] }]);
  });
});
