/**
 * Auto-layout: a left-to-right layered drawing (dagre), steps in columns, parallel branches stacked.
 * Pure: sizes in, positions out. Node sizes are the measured ones when React Flow has measured them.
 * Dagre's own order within a column is arbitrary (often reversed), so columns are ordered here, left to
 * right: a node follows its parents (the mean of their new vertical positions), branches of one node follow
 * the order of its ports (a router's routes then `default`, `approved` then `rejected`, success then
 * `error`), so no two branches cross; what is still tied keeps the top-to-bottom order it had, so laying out
 * never shuffles branches the user arranged.
 */
import dagre from '@dagrejs/dagre';

export type LayoutNode = {
  id: string;
  width?: number;
  height?: number;
  /** Current vertical position: the order kept within a column when nothing else decides it. */
  y?: number;
  /** Output handles in the order they are drawn, top to bottom; absent: one `default`. */
  ports?: readonly string[];
};
export type LayoutEdge = { source: string; target: string; sourceHandle?: string | null };

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
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parents = new Map<string, { source: string; port: number }[]>();
  for (const e of edges) {
    if (!ids.has(e.source) || !ids.has(e.target) || e.source === e.target) continue;
    const ports = byId.get(e.source)!.ports ?? ['default'];
    const port = ports.indexOf(e.sourceHandle ?? 'default');
    parents.set(e.target, [...(parents.get(e.target) ?? []), { source: e.source, port: port < 0 ? ports.length : port }]);
  }
  for (const x of [...columns.keys()].sort((a, b) => a - b)) {
    const col = columns.get(x)!;
    const slots = col.map((c) => c.top).sort((a, b) => a - b);
    const rank = new Map(
      col.map((c) => {
        const placed = (parents.get(c.n.id) ?? []).filter((p) => out.has(p.source));
        if (!placed.length) return [c.n.id, { at: c.n.y ?? 0, port: 0 }];
        const at = placed.reduce((sum, p) => sum + out.get(p.source)!.y, 0) / placed.length;
        return [c.n.id, { at, port: Math.min(...placed.map((p) => p.port)) }];
      }),
    );
    const key = (c: (typeof col)[number]) => rank.get(c.n.id)!;
    const ordered = [...col].sort((a, b) => key(a).at - key(b).at || key(a).port - key(b).port || (a.n.y ?? 0) - (b.n.y ?? 0) || a.i - b.i);
    ordered.forEach((c, k) => out.set(c.n.id, { x: c.left, y: slots[k]! }));
  }
  return out;
}

const snap = (v: number) => Math.round(v / GRID) * GRID;
