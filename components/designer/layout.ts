/**
 * Auto-layout: a left-to-right layered drawing (dagre), steps in columns, parallel branches stacked.
 * Pure: sizes in, positions out. Node sizes are the measured ones when React Flow has measured them.
 * Within a column, nodes keep the top-to-bottom order they had (dagre's own order is arbitrary, often
 * reversed), so laying out never shuffles branches the user arranged.
 */
import dagre from '@dagrejs/dagre';

export type LayoutNode = { id: string; width?: number; height?: number; /** Current vertical position: the order kept within a column. */ y?: number };
export type LayoutEdge = { source: string; target: string };

export const DEFAULT_NODE_SIZE = { width: 240, height: 96 } as const;
const GRID = 16;

/** Top-left positions by node id, snapped to the 16 px grid. Disconnected nodes get a place too. */
export function autoLayout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 72, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width ?? DEFAULT_NODE_SIZE.width, height: n.height ?? DEFAULT_NODE_SIZE.height });
  const ids = new Set(nodes.map((n) => n.id));
  for (const e of edges) if (ids.has(e.source) && ids.has(e.target) && e.source !== e.target) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  const columns = new Map<number, { n: LayoutNode; i: number; top: number; left: number }[]>();
  nodes.forEach((n, i) => {
    const p = g.node(n.id) as { x: number; y: number; width: number; height: number };
    const left = snap(p.x - p.width / 2);
    const col = columns.get(Math.round(p.x)) ?? [];
    col.push({ n, i, top: snap(p.y - p.height / 2), left });
    columns.set(Math.round(p.x), col);
  });
  for (const col of columns.values()) {
    const slots = col.map((c) => c.top).sort((a, b) => a - b);
    const byIntent = [...col].sort((a, b) => (a.n.y ?? 0) - (b.n.y ?? 0) || a.i - b.i);
    byIntent.forEach((c, k) => out.set(c.n.id, { x: c.left, y: slots[k]! }));
  }
  return out;
}

const snap = (v: number) => Math.round(v / GRID) * GRID;
