/**
 * A published workflow document compiled for the engine: nodes by id and edges by source and target, so
 * evolve and decide look up neighbours in O(1). Built once per (workflow, version) and cached.
 *
 * Map fan-outs: the nodes between a map fan-out and its join (its *body*) are templates. Each list item
 * runs its own copy of them, with instance ids `<nodeId>#<index>` (ids.ts). Looking an instance id up in
 * `nodes`, `out` or `in` gives that copy: the template node under the instance id, and edges whose ends
 * inside the body are instances too (`<edgeId>#<index>`), while the edge from the fan-out and the edges
 * into the join keep those ends. So every primitive, and the engine (dispatcher.ts), handle one item's
 * agent like any other node, and its calls get keys of their own.
 */
import type { WorkflowDocument, WorkflowEdge, WorkflowNode } from '@/server/workflows/schema';
import { instanceId, parseInstanceId } from './ids';

/** The branch a map fan-out runs once per item. */
export type MapBody = {
  fanOutId: string;
  /** The edge from the fan-out into the body. */
  entry: WorkflowEdge;
  /** Body node ids, in topological order. */
  nodes: string[];
  /** The join the body leads into (validation requires exactly one), or null. */
  joinId: string | null;
  /** Edges from the body into the join. */
  exits: WorkflowEdge[];
};

export type CompiledWorkflow = {
  workflowId: string;
  slug: string;
  version: number;
  doc: WorkflowDocument;
  nodes: Map<string, WorkflowNode>;
  out: Map<string, WorkflowEdge[]>;
  in: Map<string, WorkflowEdge[]>;
  trigger: WorkflowNode | undefined;
  /** Node ids in a topological order (documents are acyclic by validation). */
  order: string[];
  /** Map fan-outs by id, with the branch each runs per item. */
  maps: Map<string, MapBody>;
  /** Body node id → its map fan-out. */
  bodyOf: Map<string, string>;
  /** Join id → the map fan-out whose items it collects. */
  mapOfJoin: Map<string, string>;
  /** Join id → the fan-out its branches start at (its timeout counts from there). */
  fanOutOfJoin: Map<string, string>;
  /**
   * Node id → the `any` / `quorum` join its branch leads to, when every path from it reaches that join
   * before anything else: its failure fails the branch (the join counts it), not the run.
   */
  absorbedBy: Map<string, string>;
};

/**
 * A table by node id in which an instance id (`<nodeId>#<index>` of a map body node) resolves to that
 * item's copy of its template's entry, made once by `copy` and kept.
 */
class InstanceTable<V> extends Map<string, V> {
  private readonly instances = new Map<string, V>();
  constructor(
    entries: [string, V][],
    private readonly bodyOf: Map<string, string>,
    private readonly copy: (template: V, instance: { id: string; nodeId: string; index: number }) => V,
  ) {
    super(entries);
  }
  override get(id: string): V | undefined {
    const own = super.get(id);
    if (own || !id.includes('#')) return own;
    let inst = this.instances.get(id);
    if (!inst) {
      const p = parseInstanceId(id);
      const template = p && this.bodyOf.has(p.nodeId) ? super.get(p.nodeId) : undefined;
      if (!template || !p) return undefined;
      inst = this.copy(template, { id, ...p });
      this.instances.set(id, inst);
    }
    return inst;
  }
}

/** Nodes by id; an instance id resolves to its template under that id. */
function nodeTable(entries: [string, WorkflowNode][], bodyOf: Map<string, string>): Map<string, WorkflowNode> {
  return new InstanceTable(entries, bodyOf, (template, { id }) => ({ ...template, id }) as WorkflowNode);
}

/** Edges by node id; an instance id resolves to that item's copies of the template's edges. */
function edgeTable(entries: [string, WorkflowEdge[]][], bodyOf: Map<string, string>): Map<string, WorkflowEdge[]> {
  return new InstanceTable(entries, bodyOf, (template, p) => {
    const local = (n: string) => (bodyOf.get(n) === bodyOf.get(p.nodeId) ? instanceId(n, p.index) : n);
    return template.map((e) => ({ ...e, id: instanceId(e.id, p.index), source: local(e.source), target: local(e.target) }));
  });
}

export function compileWorkflow(meta: { workflowId: string; slug: string; version: number }, doc: WorkflowDocument): CompiledWorkflow {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const out = new Map<string, WorkflowEdge[]>(doc.nodes.map((n) => [n.id, []]));
  const inn = new Map<string, WorkflowEdge[]>(doc.nodes.map((n) => [n.id, []]));
  for (const e of doc.edges) {
    out.get(e.source)?.push(e);
    inn.get(e.target)?.push(e);
  }
  const indeg = new Map(doc.nodes.map((n) => [n.id, inn.get(n.id)!.length]));
  const queue = doc.nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const e of out.get(id) ?? []) {
      const d = indeg.get(e.target)! - 1;
      indeg.set(e.target, d);
      if (d === 0) queue.push(e.target);
    }
  }

  const maps = new Map<string, MapBody>();
  const bodyOf = new Map<string, string>();
  const mapOfJoin = new Map<string, string>();
  const fanOutOfJoin = new Map<string, string>();
  // In topological order, so that of nested fan-outs the inner one (the later) is a join's own.
  for (const n of order.map((id) => byId.get(id)!)) {
    if (n.kind !== 'fanOut') continue;
    const starts = (out.get(n.id) ?? []).filter((e) => (e.sourceHandle ?? 'default') === 'default');
    const { visited, joins, exits } = untilJoins(out, byId, starts.map((e) => e.target));
    for (const j of joins) fanOutOfJoin.set(j, n.id);
    if (n.config.mode !== 'map' || starts.length !== 1) continue;
    const joinId = joins.size === 1 ? [...joins][0]! : null;
    const body: MapBody = { fanOutId: n.id, entry: starts[0]!, nodes: order.filter((id) => visited.has(id)), joinId, exits };
    maps.set(n.id, body);
    for (const id of body.nodes) bodyOf.set(id, n.id);
    if (joinId) mapOfJoin.set(joinId, n.id);
  }

  const absorbedBy = new Map<string, string>();
  for (const n of doc.nodes) {
    if (n.kind === 'join' || n.kind === 'end' || n.kind === 'trigger' || n.kind === 'fanOut') continue;
    const { joins, ends } = untilJoins(out, byId, (out.get(n.id) ?? []).map((e) => e.target));
    const j = joins.size === 1 ? byId.get([...joins][0]!) : undefined;
    if (!ends && j?.kind === 'join' && j.config.mode !== 'all') absorbedBy.set(n.id, j.id);
  }

  return {
    ...meta, doc, nodes: nodeTable([...byId], bodyOf), out: edgeTable([...out], bodyOf), in: edgeTable([...inn], bodyOf),
    trigger: doc.nodes.find((n) => n.kind === 'trigger'), order, maps, bodyOf, mapOfJoin, fanOutOfJoin, absorbedBy,
  };
}

/** Walks forward from `starts`, stopping at joins: the nodes passed, the joins reached, the edges into them. */
function untilJoins(out: Map<string, WorkflowEdge[]>, nodes: Map<string, WorkflowNode>, starts: string[]) {
  const visited = new Set<string>();
  const joins = new Set<string>();
  const exits: WorkflowEdge[] = [];
  let ends = false;
  const stack = [...starts];
  const enter = (id: string) => {
    const k = nodes.get(id)?.kind;
    if (k === 'join') joins.add(id);
    else if (!visited.has(id)) {
      visited.add(id);
      if (k === 'end') ends = true;
      stack.push(id);
    }
  };
  const first = [...stack];
  stack.length = 0;
  for (const id of first) enter(id);
  while (stack.length) {
    for (const e of out.get(stack.pop()!) ?? []) {
      if (nodes.get(e.target)?.kind === 'join') exits.push(e);
      enter(e.target);
    }
  }
  return { visited, joins, exits, ends };
}

/** The handle an edge leaves its source by: `default` when unnamed. */
export function edgeHandle(e: WorkflowEdge): string {
  return e.sourceHandle ?? 'default';
}

/** The map fan-out and item index of an instance id (a node of a map body, one item's copy). */
export function instanceOf(wf: CompiledWorkflow, id: string): { fanOutId: string; nodeId: string; index: number } | null {
  const p = parseInstanceId(id);
  const fanOutId = p && wf.bodyOf.get(p.nodeId);
  return p && fanOutId ? { fanOutId, nodeId: p.nodeId, index: p.index } : null;
}
