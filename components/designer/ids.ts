/**
 * Readable, unique ids for what the designer creates: nodes are `<kind>-<n>` (`agent-3`), edges
 * `e-<source>-<target>` (with the handle when it is not `default`), as in the demo templates.
 */
import { DEFAULT_HANDLE, type NodeKind } from '@/server/workflows/schema';

/** The next free `<prefix>-<n>`, n ≥ 1, above every n already used with that prefix. */
export function nextId(prefix: string, taken: Iterable<string>): string {
  let max = 0;
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`);
  const all = new Set<string>();
  for (const id of taken) {
    all.add(id);
    const m = re.exec(id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  let n = max + 1;
  while (all.has(`${prefix}-${n}`)) n++;
  return `${prefix}-${n}`;
}

export function nextNodeId(kind: NodeKind, taken: Iterable<string>): string {
  return nextId(kind, taken);
}

/** `e-a-b`, `e-a-error-b`; suffixed `-2`, `-3` … if taken. Ids stay within the schema's 128 chars. */
export function edgeIdFor(source: string, target: string, handle: string | null | undefined, taken: ReadonlySet<string>): string {
  const base = `e-${source}-${handle && handle !== DEFAULT_HANDLE ? `${handle}-` : ''}${target}`.slice(0, 120);
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}
