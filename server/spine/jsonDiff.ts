/**
 * What changed between two JSON values, as a list of paths: added, removed or changed, with the values
 * before and after. Objects are compared key by key and arrays index by index, recursively. Pure.
 * An isomorphic leaf (no node:*, no I/O): the envelope versions view and run comparison (engine/compare.ts) both use it.
 */
export type JsonChange = { path: string; kind: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The path of `key` under `path`, as jsonDiff names it (`a.b`, `a[0]`, `a["x y"]`). */
export function jsonPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (IDENT.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function jsonDiff(before: unknown, after: unknown, path = ''): JsonChange[] {
  if (Object.is(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const out: JsonChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) {
      const p = jsonPath(path, k);
      if (!(k in after)) out.push({ path: p, kind: 'removed', before: before[k] });
      else if (!(k in before)) out.push({ path: p, kind: 'added', after: after[k] });
      else out.push(...jsonDiff(before[k], after[k], p));
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: JsonChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = jsonPath(path, i);
      if (i >= after.length) out.push({ path: p, kind: 'removed', before: before[i] });
      else if (i >= before.length) out.push({ path: p, kind: 'added', after: after[i] });
      else out.push(...jsonDiff(before[i], after[i], p));
    }
    return out;
  }
  return [{ path: path || '(value)', kind: 'changed', before, after }];
}
