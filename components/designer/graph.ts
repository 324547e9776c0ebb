/**
 * The designer's graph ↔ the workflow document. React Flow draws `DesignerNode`s (one typed node per kind,
 * its config in `data`) and `DesignerEdge`s; the server stores `WorkflowDocument`s. `fromDocument` and
 * `toDocument` are pure and inverse: `toDocument(fromDocument(doc))` equals `doc` exactly (graph.test.ts),
 * so opening and saving a workflow never changes it behind the user's back.
 *
 * Handles: every source handle has an id, the handle name of the schema (`default`, `error`, a route id,
 * `approved`, `rejected`). A document edge without `sourceHandle` means `default`; whether the document
 * spelled `default` out is kept in `data.explicitHandle` so the round trip is exact.
 */
import type { Edge, Node } from '@xyflow/react';
import { DEFAULT_HANDLE, edgeHandle, type NodeConfig, type NodeKind, type WorkflowDocument, type WorkflowEdge, type WorkflowNode } from '@/server/workflows/schema';

/** What a node carries for React Flow: the document node minus id, kind and position. */
export type NodeData<K extends NodeKind = NodeKind> = { label?: string; config: NodeConfig<K> };

export type TriggerNode = Node<NodeData<'trigger'>, 'trigger'>;
export type AgentNode = Node<NodeData<'agent'>, 'agent'>;
export type FanOutNode = Node<NodeData<'fanOut'>, 'fanOut'>;
export type JoinNode = Node<NodeData<'join'>, 'join'>;
export type RouterNode = Node<NodeData<'router'>, 'router'>;
export type ApprovalNode = Node<NodeData<'approval'>, 'approval'>;
export type DelayNode = Node<NodeData<'delay'>, 'delay'>;
export type SetContextNode = Node<NodeData<'setContext'>, 'setContext'>;
export type EndNode = Node<NodeData<'end'>, 'end'>;
export type DesignerNode = TriggerNode | AgentNode | FanOutNode | JoinNode | RouterNode | ApprovalNode | DelayNode | SetContextNode | EndNode;
export type DesignerNodeOf<K extends NodeKind> = Extract<DesignerNode, { type: K }>;

export type EdgeData = {
  label?: string;
  /** The document names `sourceHandle` even when it is `default` (kept for an exact round trip). */
  explicitHandle?: boolean;
};
export type DesignerEdge = Edge<EdgeData, 'workflow'>;

export const EDGE_TYPE = 'workflow' as const;

export function nodeFromDocument(n: WorkflowNode): DesignerNode {
  const data: NodeData = { config: n.config, ...(n.label !== undefined && { label: n.label }) };
  return { id: n.id, type: n.kind, position: { x: n.position.x, y: n.position.y }, data } as DesignerNode;
}

export function edgeFromDocument(e: WorkflowEdge): DesignerEdge {
  const data: EdgeData = {};
  if (e.label !== undefined) data.label = e.label;
  if (e.sourceHandle !== undefined) data.explicitHandle = true;
  return { id: e.id, type: EDGE_TYPE, source: e.source, target: e.target, sourceHandle: edgeHandle(e), data };
}

export function fromDocument(doc: WorkflowDocument): { nodes: DesignerNode[]; edges: DesignerEdge[] } {
  return { nodes: doc.nodes.map(nodeFromDocument), edges: doc.edges.map(edgeFromDocument) };
}

export function nodeToDocument(n: DesignerNode): WorkflowNode {
  return {
    id: n.id,
    kind: n.type,
    ...(n.data.label !== undefined && { label: n.data.label }),
    position: { x: n.position.x, y: n.position.y },
    config: n.data.config,
  } as WorkflowNode;
}

export function edgeToDocument(e: DesignerEdge): WorkflowEdge {
  const handle = e.sourceHandle ?? DEFAULT_HANDLE;
  return {
    id: e.id,
    source: e.source,
    target: e.target,
    ...((handle !== DEFAULT_HANDLE || e.data?.explicitHandle) && { sourceHandle: handle }),
    ...(e.data?.label !== undefined && { label: e.data.label }),
  };
}

export function toDocument(nodes: readonly DesignerNode[], edges: readonly DesignerEdge[]): WorkflowDocument {
  return { formatVersion: 1, nodes: nodes.map(nodeToDocument), edges: edges.map(edgeToDocument) };
}

/** The node's display name: its label, else its id. */
export function displayName(n: { id: string; data: { label?: string } }): string {
  return n.data.label?.trim() || n.id;
}

/**
 * What a user reads for an output port: a route by its label (its id when it has none), a fixed port by its
 * name (`error`, `approved`, `rejected`, a router's `default`); '' for the main port of the other kinds.
 */
export function portName(node: WorkflowNode, handle: string): string {
  if (node.kind === 'router') return node.config.routes.find((r) => r.id === handle)?.label?.trim() || handle;
  return handle === DEFAULT_HANDLE ? '' : handle;
}
