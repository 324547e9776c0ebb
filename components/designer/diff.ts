/**
 * What changed between two workflow documents: nodes added, removed, changed (kind, label or config) or
 * only moved, and edges added or removed (compared by connection: source, handle, target) or relabelled.
 * Publish shows it as the change summary; version history uses it to mark a version against the draft.
 */
import { edgeHandle, type WorkflowDocument, type WorkflowEdge, type WorkflowNode } from '@/server/workflows/schema';

export type DocumentDiff = {
  addedNodes: string[];
  removedNodes: string[];
  changedNodes: string[];
  /** Same kind, label and config; only the position differs. */
  movedNodes: string[];
  addedEdges: string[];
  removedEdges: string[];
  changedEdges: string[];
};

const connection = (e: WorkflowEdge) => `${e.source}\u0000${edgeHandle(e)}\u0000${e.target}`;

function sameContent(a: WorkflowNode, b: WorkflowNode): boolean {
  return a.kind === b.kind && (a.label ?? '') === (b.label ?? '') && stable(a.config) === stable(b.config);
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

/** Changes from `before` (null: nothing published yet) to `after`. Ids are edge ids of `after` (added, changed) or `before` (removed). */
export function diffDocuments(before: WorkflowDocument | null, after: WorkflowDocument): DocumentDiff {
  const old = new Map((before?.nodes ?? []).map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const d: DocumentDiff = { addedNodes: [], removedNodes: [], changedNodes: [], movedNodes: [], addedEdges: [], removedEdges: [], changedEdges: [] };
  for (const n of after.nodes) {
    const o = old.get(n.id);
    if (!o) d.addedNodes.push(n.id);
    else if (!sameContent(o, n)) d.changedNodes.push(n.id);
    else if (o.position.x !== n.position.x || o.position.y !== n.position.y) d.movedNodes.push(n.id);
  }
  for (const n of before?.nodes ?? []) if (!now.has(n.id)) d.removedNodes.push(n.id);
  const oldEdges = new Map((before?.edges ?? []).map((e) => [connection(e), e]));
  const newEdges = new Map(after.edges.map((e) => [connection(e), e]));
  for (const [k, e] of newEdges) {
    const o = oldEdges.get(k);
    if (!o) d.addedEdges.push(e.id);
    else if ((o.label ?? '') !== (e.label ?? '')) d.changedEdges.push(e.id);
  }
  for (const [k, e] of oldEdges) if (!newEdges.has(k)) d.removedEdges.push(e.id);
  return d;
}

export function isEmptyDiff(d: DocumentDiff, opts: { countMoves?: boolean } = {}): boolean {
  return (
    d.addedNodes.length + d.removedNodes.length + d.changedNodes.length + d.addedEdges.length + d.removedEdges.length + d.changedEdges.length + (opts.countMoves ? d.movedNodes.length : 0) === 0
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const named = (ids: string[], max = 4) => (ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`);

/**
 * One line for people and for the version's summary: `2 nodes added (a, b); 1 node changed (c); 3 edges added`.
 * @example summarizeDiff(diffDocuments(published, draft))
 */
export function summarizeDiff(d: DocumentDiff): string {
  const parts: string[] = [];
  if (d.addedNodes.length) parts.push(`${plural(d.addedNodes.length, 'node')} added (${named(d.addedNodes)})`);
  if (d.removedNodes.length) parts.push(`${plural(d.removedNodes.length, 'node')} removed (${named(d.removedNodes)})`);
  if (d.changedNodes.length) parts.push(`${plural(d.changedNodes.length, 'node')} changed (${named(d.changedNodes)})`);
  const edges: string[] = [];
  if (d.addedEdges.length) edges.push(`${d.addedEdges.length} added`);
  if (d.removedEdges.length) edges.push(`${d.removedEdges.length} removed`);
  if (d.changedEdges.length) edges.push(`${d.changedEdges.length} relabelled`);
  if (edges.length) parts.push(`${d.addedEdges.length + d.removedEdges.length + d.changedEdges.length === 1 ? 'edge' : 'edges'}: ${edges.join(', ')}`);
  if (!parts.length && d.movedNodes.length) parts.push(`layout only (${plural(d.movedNodes.length, 'node')} moved)`);
  return parts.length ? parts.join('; ') : 'no changes';
}
