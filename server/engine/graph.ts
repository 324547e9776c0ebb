/**
 * A published workflow document compiled for the engine: nodes by id and edges by source and target, so
 * evolve and decide look up neighbours in O(1). Built once per (workflow, version) and cached.
 */
import type { WorkflowDocument, WorkflowEdge, WorkflowNode } from '@/server/workflows/schema';

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
};

export function compileWorkflow(meta: { workflowId: string; slug: string; version: number }, doc: WorkflowDocument): CompiledWorkflow {
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
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
  return { ...meta, doc, nodes, out, in: inn, trigger: doc.nodes.find((n) => n.kind === 'trigger'), order };
}

/** The handle an edge leaves its source by: `default` when unnamed. */
export function edgeHandle(e: WorkflowEdge): string {
  return e.sourceHandle ?? 'default';
}
