/**
 * The designer's state: one zustand store per open canvas (`createDesignerStore`), provided through
 * context and read with selectors (`useDesignerStore(useShallow(s => ...))`), so a node re-renders only when
 * what it shows changes.
 *
 * Invariants:
 *   - Every change to the document goes through `commit`: it records the state before it in the undo
 *     history (typing in one field and arrow-key moves coalesce into one step), bumps `docRevision` (autosave
 *     watches it) and re-runs the validator (`validateWorkflow`, the same one publish runs) unless only
 *     positions changed. Selection, measuring and the frames of a drag are not document changes.
 *   - A drag is one history step: the state at the first frame is kept and committed when the drag ends.
 *   - History holds the React Flow arrays themselves (they are immutable), so undo/redo restore positions,
 *     configs and edges exactly; selection is left as it is.
 *   - Connections are checked by `canConnect` (the validator's rules), both while drawing and on drop.
 */
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange } from '@xyflow/react';
import { createContext, createElement, useContext, useState, type ReactNode } from 'react';
import { createStore, useStore, type StoreApi } from 'zustand';
import type { NodeStatus } from '@/server/engine';
import { createNode, DEFAULT_HANDLE, KIND_META, outputHandles, type NodeKind, type WorkflowDocument } from '@/server/workflows/schema';
import { canConnect, validateWorkflow, type Problem } from '@/server/workflows/validate';
import type { Json } from '@/server/spine/events';
import { copySelection, pasteInto, type ClipboardPayload } from './clipboard';
import { edgeFromDocument, fromDocument, nodeFromDocument, nodeToDocument, toDocument, type DesignerEdge, type DesignerNode, type NodeData } from './graph';
import { edgeIdFor, nextNodeId } from './ids';
import { autoLayout } from './layout';

export type NodeRunState = { status: NodeStatus; attempts?: number; error?: string | null };
/** How a node or edge compares with another version (version history's diff view). */
export type DiffMark = 'added' | 'removed' | 'changed';

type Snapshot = { nodes: DesignerNode[]; edges: DesignerEdge[] };

/** Undo steps kept. */
export const HISTORY_LIMIT = 200;
/** Changes with the same coalesce key within this many ms are one undo step (typing, arrow-key moves). */
const COALESCE_MS = 1000;

const EMPTY_PROBLEMS: readonly Problem[] = Object.freeze([]);

export type DesignerState = {
  nodes: DesignerNode[];
  edges: DesignerEdge[];
  readOnly: boolean;
  /** Agent names of the registry; null until known (then `agent.unknown` is not checked). */
  agents: ReadonlySet<string> | null;
  /** Registered agents' output schemas: a condition reading a field one does not declare is marked. */
  agentOutputs: ReadonlyMap<string, Json>;
  problems: Problem[];
  nodeProblems: Readonly<Record<string, readonly Problem[]>>;
  edgeProblems: Readonly<Record<string, readonly Problem[]>>;
  /** Bumped on every change to the document (not on selection or measuring). */
  docRevision: number;
  past: Snapshot[];
  future: Snapshot[];
  /** Why the connection being drawn is refused, while it is. */
  connectionHint: string | null;
  runStates: Readonly<Record<string, NodeRunState>>;
  marks: Readonly<Record<string, DiffMark>>;

  onNodesChange(changes: NodeChange<DesignerNode>[]): void;
  onEdgesChange(changes: EdgeChange<DesignerEdge>[]): void;
  onConnect(c: Connection): void;
  isValidConnection(c: Connection | DesignerEdge): boolean;
  endConnection(): void;
  /** Adds a node; with `connectFrom`, also an edge from that node when the rules allow it. Returns its id. */
  /**
   * Adds a node; with `connectFrom`, also an edge from that node's first free port (`firstFreePort`), or from
   * `handle` when given, when the rules allow it. Returns its id.
   */
  addNode(kind: NodeKind, position: { x: number; y: number }, opts?: { connectFrom?: string; handle?: string; select?: boolean }): string;
  updateNodeData(id: string, data: Partial<NodeData>, opts?: { coalesce?: string }): void;
  /** Changes a node's id (edges follow). Returns an error message, or null when done. */
  renameNode(id: string, next: string): string | null;
  updateEdgeLabel(id: string, label: string | undefined, opts?: { coalesce?: string }): void;
  deleteSelected(): void;
  deleteElements(ids: { nodes?: string[]; edges?: string[] }): void;
  selectAll(): void;
  selectOnly(ids: { nodes?: string[]; edges?: string[] }): void;
  undo(): void;
  redo(): void;
  /** Replaces the whole document (import, restore a version, load theirs); one undo step unless `history: false`. */
  replaceDocument(doc: WorkflowDocument, opts?: { history?: boolean }): void;
  layout(): void;
  /** The selection as a clipboard payload, tagged with the workflow it comes from. */
  copy(from?: string): ClipboardPayload | null;
  paste(p: ClipboardPayload, place: { offset: { x: number; y: number } } | { at: { x: number; y: number } }): void;
  duplicateSelected(): void;
  setAgents(names: ReadonlySet<string>, outputs?: ReadonlyMap<string, Json>): void;
  /** Viewing only (a version, a run, or someone without the architect role): nothing changes the document. */
  setReadOnly(readOnly: boolean): void;
  setRunStates(states: Readonly<Record<string, NodeRunState>>): void;
  setMarks(marks: Readonly<Record<string, DiffMark>>): void;
  document(): WorkflowDocument;
};

/**
 * The output port a step added after `sourceId` is wired to: the first of the source's ports, in their drawn
 * order (a router's routes, then `default`; an approval's `approved`, then `rejected`; an agent's success,
 * then `error`), that can take an edge to a node `targetId` with no input yet. `targetId` need not be in `doc`
 * (a stand-in with no edges is checked). Null when every port is taken (or the source is an end).
 */
export function firstFreePort(doc: WorkflowDocument, sourceId: string, targetId = '__new__'): string | null {
  const source = doc.nodes.find((n) => n.id === sourceId);
  if (!source) return null;
  const probe = doc.nodes.some((n) => n.id === targetId) ? doc : { ...doc, nodes: [...doc.nodes, createNode('end', targetId)] };
  for (const handle of outputHandles(source)) if (!canConnect(probe, { source: sourceId, target: targetId, sourceHandle: handle })) return handle;
  return null;
}

type Validation = Pick<DesignerState, 'problems' | 'nodeProblems' | 'edgeProblems'>;

/** Groups problems by node and edge, reusing the previous array when a node's problems did not change. */
function validate(nodes: DesignerNode[], edges: DesignerEdge[], agents: ReadonlySet<string> | null, prev?: Validation, outputs?: ReadonlyMap<string, Json>): Validation {
  // With the registry's output schemas, a read of a field an agent does not declare is marked too.
  const problems = validateWorkflow(toDocument(nodes, edges), { ...(agents && { agents }), ...(outputs && { agentOutputs: outputs }) });
  const byNode: Record<string, Problem[]> = {};
  const byEdge: Record<string, Problem[]> = {};
  for (const p of problems) {
    for (const id of new Set([...(p.nodeId ? [p.nodeId] : []), ...(p.nodeIds ?? [])])) (byNode[id] ??= []).push(p);
    if (p.edgeId) (byEdge[p.edgeId] ??= []).push(p);
  }
  return { problems, nodeProblems: stabilize(byNode, prev?.nodeProblems), edgeProblems: stabilize(byEdge, prev?.edgeProblems) };
}

function stabilize(next: Record<string, Problem[]>, prev: Readonly<Record<string, readonly Problem[]>> | undefined): Record<string, readonly Problem[]> {
  if (!prev) return next;
  const key = (ps: readonly Problem[]) => ps.map((p) => `${p.code}|${p.message}|${p.field ?? ''}`).join('\n');
  const out: Record<string, readonly Problem[]> = {};
  for (const [id, ps] of Object.entries(next)) out[id] = prev[id] && key(prev[id]) === key(ps) ? prev[id] : ps;
  return out;
}

export function problemsOf(s: { nodeProblems: DesignerState['nodeProblems'] }, id: string): readonly Problem[] {
  return s.nodeProblems[id] ?? EMPTY_PROBLEMS;
}

function keepSelection<T extends { id: string; selected?: boolean }>(items: T[], selected: ReadonlySet<string>): T[] {
  return items.map((x) => (!!x.selected === selected.has(x.id) ? x : { ...x, selected: selected.has(x.id) }));
}

const selectedIds = (items: readonly { id: string; selected?: boolean }[]) => new Set(items.filter((x) => x.selected).map((x) => x.id));

/**
 * What nodes and edges draw besides their data: problems, run states, diff marks, read-only. Mirrored from
 * the designer state into a store of its own that changes only when these do, so the hundreds of node and
 * edge subscriptions are not re-checked on every frame of a drag (which changes `nodes` each frame).
 */
export type Decorations = Pick<DesignerState, 'nodeProblems' | 'edgeProblems' | 'runStates' | 'marks' | 'readOnly'> & {
  /** What a user reads for a named port, by `portKey(nodeId, handle)`: a router route's label (routes without one are absent). */
  portLabels: Readonly<Record<string, string>>;
};

/** The key of a port in `Decorations.portLabels`. */
export const portKey = (nodeId: string, handle: string) => `${nodeId}\u0000${handle}`;

function portLabelsOf(nodes: readonly DesignerNode[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of nodes) if (n.type === 'router') for (const r of n.data.config.routes) if (r.label?.trim()) out[portKey(n.id, r.id)] = r.label.trim();
  return out;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

const decorationsOf = (s: DesignerState, portLabels: Readonly<Record<string, string>>): Decorations => ({ nodeProblems: s.nodeProblems, edgeProblems: s.edgeProblems, runStates: s.runStates, marks: s.marks, readOnly: s.readOnly, portLabels });

export type DesignerStore = StoreApi<DesignerState> & { decorations: StoreApi<Decorations> };

export function createDesignerStore(initial: { document: WorkflowDocument; readOnly?: boolean; agents?: ReadonlySet<string> | null }): DesignerStore {
  const store = createGraphStore(initial);
  const decorations = createStore<Decorations>()(() => decorationsOf(store.getState(), portLabelsOf(store.getState().nodes)));
  store.subscribe((s, prev) => {
    const was = decorations.getState().portLabels;
    const next = s.nodes === prev.nodes ? was : portLabelsOf(s.nodes);
    const portLabels = sameLabels(was, next) ? was : next;
    if (s.nodeProblems !== prev.nodeProblems || s.edgeProblems !== prev.edgeProblems || s.runStates !== prev.runStates || s.marks !== prev.marks || s.readOnly !== prev.readOnly || portLabels !== was)
      decorations.setState(decorationsOf(s, portLabels), true);
  });
  return Object.assign(store, { decorations });
}

function createGraphStore(initial: { document: WorkflowDocument; readOnly?: boolean; agents?: ReadonlySet<string> | null }): StoreApi<DesignerState> {
  const start = fromDocument(initial.document);
  const agents = initial.agents ?? null;
  return createStore<DesignerState>()((set, get) => {
    let coalesce: { key: string; at: number } | null = null;
    let dragOrigin: Snapshot | null = null;

    /** The one way the document changes. */
    function commit(next: Snapshot, opts: { coalesce?: string; origin?: Snapshot; structural?: boolean; history?: boolean } = {}) {
      const s = get();
      if (s.readOnly) return;
      const before = opts.origin ?? { nodes: s.nodes, edges: s.edges };
      let past = s.past;
      let future = s.future;
      if (opts.history !== false) {
        const now = Date.now();
        const joined = opts.coalesce !== undefined && coalesce?.key === opts.coalesce && now - coalesce.at < COALESCE_MS;
        if (!joined) past = [...past.slice(-(HISTORY_LIMIT - 1)), before];
        coalesce = opts.coalesce !== undefined ? { key: opts.coalesce, at: now } : null;
        future = [];
      }
      set({
        nodes: next.nodes,
        edges: next.edges,
        past,
        future,
        docRevision: s.docRevision + 1,
        ...(opts.structural !== false && validate(next.nodes, next.edges, s.agents, s, s.agentOutputs)),
      });
    }

    function restore(to: Snapshot, past: Snapshot[], future: Snapshot[]) {
      const s = get();
      coalesce = null;
      const nodes = keepSelection(to.nodes, selectedIds(s.nodes));
      const edges = keepSelection(to.edges, selectedIds(s.edges));
      set({ nodes, edges, past, future, docRevision: s.docRevision + 1, ...validate(nodes, edges, s.agents, s, s.agentOutputs) });
    }

    return {
      nodes: start.nodes,
      edges: start.edges,
      readOnly: initial.readOnly ?? false,
      agents,
      agentOutputs: new Map(),
      ...validate(start.nodes, start.edges, agents),
      docRevision: 0,
      past: [],
      future: [],
      connectionHint: null,
      runStates: {},
      marks: {},

      onNodesChange(changes) {
        const s = get();
        const passive = changes.filter((c) => c.type === 'select' || c.type === 'dimensions');
        if (s.readOnly || passive.length === changes.length) {
          if (passive.length) set({ nodes: applyNodeChanges(passive, s.nodes) });
          return;
        }
        const nodes = applyNodeChanges(changes, s.nodes);
        const moves = changes.filter((c) => c.type === 'position');
        const onlyMoves = moves.length + passive.length === changes.length;
        if (onlyMoves && moves.some((c) => c.dragging)) {
          // A drag frame: not a change yet. Keep where the drag started.
          dragOrigin ??= { nodes: s.nodes, edges: s.edges };
          set({ nodes });
          return;
        }
        if (onlyMoves) {
          const origin = dragOrigin ?? undefined;
          dragOrigin = null;
          commit({ nodes, edges: s.edges }, origin ? { origin, structural: false } : { coalesce: 'move', structural: false });
          return;
        }
        const removed = new Set(changes.flatMap((c) => (c.type === 'remove' ? [c.id] : [])));
        const edges = removed.size ? s.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) : s.edges;
        commit({ nodes, edges });
      },

      onEdgesChange(changes) {
        const s = get();
        const passive = changes.filter((c) => c.type === 'select');
        if (s.readOnly || passive.length === changes.length) {
          if (passive.length) set({ edges: applyEdgeChanges(passive, s.edges) });
          return;
        }
        commit({ nodes: s.nodes, edges: applyEdgeChanges(changes, s.edges) });
      },

      isValidConnection(c) {
        const s = get();
        if (s.readOnly) return false;
        const refusal = canConnect(toDocument(s.nodes, s.edges), { source: c.source, target: c.target, sourceHandle: c.sourceHandle ?? DEFAULT_HANDLE });
        const hint = refusal?.message ?? null;
        if (hint !== s.connectionHint) set({ connectionHint: hint });
        return refusal === null;
      },

      endConnection() {
        if (get().connectionHint !== null) set({ connectionHint: null });
      },

      onConnect(c) {
        const s = get();
        if (s.readOnly || !c.source || !c.target) return;
        const handle = c.sourceHandle ?? DEFAULT_HANDLE;
        if (canConnect(toDocument(s.nodes, s.edges), { source: c.source, target: c.target, sourceHandle: handle })) return;
        const source = s.nodes.find((n) => n.id === c.source);
        const id = edgeIdFor(c.source, c.target, handle, new Set(s.edges.map((e) => e.id)));
        // Routers name every branch, `default` included; other kinds leave the default handle implicit.
        const edge = edgeFromDocument({ id, source: c.source, target: c.target, ...((handle !== DEFAULT_HANDLE || source?.type === 'router') && { sourceHandle: handle }) });
        commit({ nodes: s.nodes, edges: [...s.edges, edge] });
        set({ connectionHint: null });
      },

      addNode(kind, position, opts = {}) {
        const s = get();
        const id = nextNodeId(kind, s.nodes.map((n) => n.id));
        const node = { ...nodeFromDocument(createNode(kind, id, position)), selected: opts.select ?? true };
        const nodes = [...(opts.select === false ? s.nodes : keepSelection(s.nodes, new Set())), node];
        let edges = s.edges;
        const from = opts.connectFrom ? s.nodes.find((n) => n.id === opts.connectFrom) : undefined;
        if (from && KIND_META[kind].inputs !== 'none') {
          const handle = opts.handle ?? firstFreePort(toDocument(nodes, edges), from.id, id);
          if (handle !== null && !canConnect(toDocument(nodes, edges), { source: from.id, target: id, sourceHandle: handle })) {
            const eid = edgeIdFor(from.id, id, handle, new Set(edges.map((e) => e.id)));
            edges = [...edges, edgeFromDocument({ id: eid, source: from.id, target: id, ...((handle !== DEFAULT_HANDLE || from.type === 'router') && { sourceHandle: handle }) })];
          }
        }
        commit({ nodes, edges });
        return id;
      },

      updateNodeData(id, data, opts = {}) {
        const s = get();
        if (s.readOnly) return;
        const nodes = s.nodes.map((n) => {
          if (n.id !== id) return n;
          const next = { ...n.data, ...data };
          if ('label' in data && (data.label === undefined || data.label === '')) delete next.label;
          return { ...n, data: next } as DesignerNode;
        });
        // A router whose route disappears or is renamed loses that route's edges.
        let edges = s.edges;
        const node = nodes.find((n) => n.id === id);
        if (node?.type === 'router') {
          const handles = new Set([...node.data.config.routes.map((r) => r.id), DEFAULT_HANDLE]);
          edges = edges.filter((e) => e.source !== id || handles.has(e.sourceHandle ?? DEFAULT_HANDLE));
        }
        commit({ nodes, edges }, opts.coalesce !== undefined ? { coalesce: `${id}:${opts.coalesce}` } : {});
      },

      renameNode(id, next) {
        const s = get();
        if (next === id) return null;
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(next)) return 'Ids are 1-64 letters, digits, "_" or "-"';
        if (s.nodes.some((n) => n.id === next)) return `There is already a node '${next}'`;
        const nodes = s.nodes.map((n) => (n.id === id ? ({ ...n, id: next } as DesignerNode) : n));
        const edges = s.edges.map((e) => (e.source === id || e.target === id ? { ...e, source: e.source === id ? next : e.source, target: e.target === id ? next : e.target } : e));
        commit({ nodes, edges });
        return null;
      },

      updateEdgeLabel(id, label, opts = {}) {
        const s = get();
        const edges = s.edges.map((e) => {
          if (e.id !== id) return e;
          const data = { ...e.data };
          if (label) data.label = label;
          else delete data.label;
          return { ...e, data };
        });
        commit({ nodes: s.nodes, edges }, opts.coalesce !== undefined ? { coalesce: `edge:${id}:${opts.coalesce}` } : {});
      },

      deleteSelected() {
        const s = get();
        get().deleteElements({ nodes: [...selectedIds(s.nodes)], edges: [...selectedIds(s.edges)] });
      },

      deleteElements({ nodes: nodeIds = [], edges: edgeIds = [] }) {
        const s = get();
        if (s.readOnly || (!nodeIds.length && !edgeIds.length)) return;
        const goneNodes = new Set(nodeIds);
        const goneEdges = new Set(edgeIds);
        commit({
          nodes: s.nodes.filter((n) => !goneNodes.has(n.id)),
          edges: s.edges.filter((e) => !goneEdges.has(e.id) && !goneNodes.has(e.source) && !goneNodes.has(e.target)),
        });
      },

      selectAll() {
        const s = get();
        set({ nodes: keepSelection(s.nodes, new Set(s.nodes.map((n) => n.id))), edges: keepSelection(s.edges, new Set(s.edges.map((e) => e.id))) });
      },

      selectOnly({ nodes = [], edges = [] }) {
        const s = get();
        set({ nodes: keepSelection(s.nodes, new Set(nodes)), edges: keepSelection(s.edges, new Set(edges)) });
      },

      undo() {
        const s = get();
        const to = s.past.at(-1);
        if (!to || s.readOnly) return;
        dragOrigin = null;
        restore(to, s.past.slice(0, -1), [{ nodes: s.nodes, edges: s.edges }, ...s.future]);
      },

      redo() {
        const s = get();
        const [to, ...rest] = s.future;
        if (!to || s.readOnly) return;
        dragOrigin = null;
        restore(to, [...s.past, { nodes: s.nodes, edges: s.edges }], rest);
      },

      replaceDocument(doc, opts = {}) {
        const next = fromDocument(doc);
        commit(next, { history: opts.history !== false });
      },

      layout() {
        const s = get();
        if (s.readOnly || !s.nodes.length) return;
        const pos = autoLayout(
          s.nodes.map((n) => ({ id: n.id, width: n.measured?.width, height: n.measured?.height, y: n.position.y, ports: outputHandles(nodeToDocument(n)) })),
          s.edges,
        );
        commit({ nodes: s.nodes.map((n) => ({ ...n, position: pos.get(n.id) ?? n.position })), edges: s.edges }, { structural: false });
      },

      copy(from) {
        const s = get();
        return copySelection(toDocument(s.nodes, s.edges), selectedIds(s.nodes), from);
      },

      paste(p, place) {
        const s = get();
        if (s.readOnly) return;
        const added = pasteInto(toDocument(s.nodes, s.edges), p, place);
        const nodes = [...keepSelection(s.nodes, new Set()), ...added.nodes.map((n) => ({ ...nodeFromDocument(n), selected: true }))];
        const edges = [...keepSelection(s.edges, new Set()), ...added.edges.map(edgeFromDocument)];
        commit({ nodes, edges });
      },

      duplicateSelected() {
        const p = get().copy();
        if (p) get().paste(p, { offset: { x: 32, y: 32 } });
      },

      setAgents(names, outputs) {
        const s = get();
        const agentOutputs = outputs ?? s.agentOutputs;
        set({ agents: names, agentOutputs, ...validate(s.nodes, s.edges, names, s, agentOutputs) });
      },

      setReadOnly(readOnly) {
        if (get().readOnly !== readOnly) set({ readOnly });
      },

      setRunStates(next) {
        // Keep unchanged entries identical, so only nodes whose state changed re-render.
        const prev = get().runStates;
        const runStates: Record<string, NodeRunState> = {};
        for (const [id, st] of Object.entries(next)) {
          const p = prev[id];
          runStates[id] = p && p.status === st.status && p.attempts === st.attempts && p.error === st.error ? p : st;
        }
        set({ runStates });
      },

      setMarks(marks) {
        set({ marks });
      },

      document() {
        const s = get();
        return toDocument(s.nodes, s.edges);
      },
    };
  });
}

const DesignerContext = createContext<DesignerStore | null>(null);

/** Provides a store made once from `create` (kept for the component's life). */
export function DesignerProvider({ create, children }: { create: () => DesignerStore; children: ReactNode }) {
  const [store] = useState(create);
  return createElement(DesignerContext.Provider, { value: store }, children);
}

/** The store itself, for event handlers that read the latest state (`store.getState()`). */
export function useDesignerStoreApi(): DesignerStore {
  const store = useContext(DesignerContext);
  if (!store) throw new Error('useDesignerStore needs a <DesignerProvider>');
  return store;
}

/** Reads the designer state with a selector; wrap object selectors in `useShallow`. */
export function useDesignerStore<T>(selector: (s: DesignerState) => T): T {
  return useStore(useDesignerStoreApi(), selector);
}

/** Reads a node's or edge's decorations (problems, run state, mark, read-only): for the many nodes and edges. */
export function useDecorations<T>(selector: (d: Decorations) => T): T {
  return useStore(useDesignerStoreApi().decorations, selector);
}

