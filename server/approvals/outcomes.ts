/**
 * What a workflow does after an approval, read from its published document: the nodes behind the
 * `approved` and `rejected` handles, followed through the nodes that only pass control on (routers,
 * joins, context updates, delays, fan-outs) until the next node that does work or decides (an agent, another
 * approval, an end). Pure; the approvals inbox shows it so an approver knows the consequence of each button.
 */
import { edgeHandle, type NodeKind, type WorkflowDocument, type WorkflowNode } from '@/server/workflows/schema';

export type OutcomeStep = {
  nodeId: string;
  kind: NodeKind;
  label: string;
  /** The branch that leads here from the previous step (a router's route label, `otherwise`, `on error`), if any. */
  via: string | null;
  /** For agents, the agent's name; for ends, `success` or `failure`. */
  detail: string | null;
  /** What follows a pass-through node; empty for nodes that stop the walk. */
  next: OutcomeStep[];
};

export type ApprovalOutcomes = { approved: OutcomeStep[]; rejected: OutcomeStep[] };

const PASS_THROUGH: ReadonlySet<NodeKind> = new Set(['router', 'join', 'setContext', 'delay', 'fanOut', 'trigger']);
/** Pass-through nodes followed at most this deep, so a long chain still reads as a summary. */
const MAX_DEPTH = 4;

function labelOf(n: WorkflowNode): string {
  return n.label?.trim() || n.id;
}

function detailOf(n: WorkflowNode): string | null {
  if (n.kind === 'agent') return n.config.agent || null;
  if (n.kind === 'end') return n.config.outcome;
  return null;
}

function viaOf(source: WorkflowNode, handle: string): string | null {
  if (source.kind === 'router') {
    if (handle === 'default') return 'otherwise';
    const route = source.config.routes.find((r) => r.id === handle);
    return route?.label?.trim() || route?.condition || handle;
  }
  if (source.kind === 'agent' && handle === 'error') return 'on error';
  return null;
}

/**
 * The steps behind one handle of `nodeId`.
 * @example outcomesAfter(doc, 'contract-approval', 'rejected') // [{ nodeId: 'contract-rejected', kind: 'end', detail: 'failure', ... }]
 */
export function outcomesAfter(doc: WorkflowDocument, nodeId: string, handle: string): OutcomeStep[] {
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
  const walk = (fromId: string, fromHandle: string | null, depth: number, seen: ReadonlySet<string>): OutcomeStep[] => {
    const from = nodes.get(fromId);
    if (!from) return [];
    const edges = doc.edges.filter((e) => e.source === fromId && (fromHandle === null || edgeHandle(e) === fromHandle));
    const steps: OutcomeStep[] = [];
    for (const e of edges) {
      const target = nodes.get(e.target);
      if (!target) continue;
      const step: OutcomeStep = { nodeId: target.id, kind: target.kind, label: labelOf(target), via: fromHandle === null ? viaOf(from, edgeHandle(e)) : null, detail: detailOf(target), next: [] };
      if (PASS_THROUGH.has(target.kind) && depth < MAX_DEPTH && !seen.has(target.id))
        step.next = walk(target.id, null, depth + 1, new Set([...seen, target.id]));
      steps.push(step);
    }
    return steps;
  };
  return walk(nodeId, handle, 1, new Set([nodeId]));
}

/** Both outcomes of an approval node. */
export function approvalOutcomes(doc: WorkflowDocument, nodeId: string): ApprovalOutcomes {
  return { approved: outcomesAfter(doc, nodeId, 'approved'), rejected: outcomesAfter(doc, nodeId, 'rejected') };
}
