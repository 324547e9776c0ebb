/**
 * The designer store in domain words: what one undo step is, what validation shows, what may be connected.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_TEMPLATES } from '@/server/workflows/templates';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { createDesignerStore, portKey } from './store';

const legal = DEMO_TEMPLATES.find((t) => t.slug === 'legal-case-analysis')!.document;
const empty: WorkflowDocument = { formatVersion: 1, nodes: [], edges: [] };

function drag(store: ReturnType<typeof createDesignerStore>, id: string, to: { x: number; y: number }, frames = 5) {
  const from = store.getState().nodes.find((n) => n.id === id)!.position;
  for (let i = 1; i <= frames; i++) {
    const p = { x: from.x + ((to.x - from.x) * i) / frames, y: from.y + ((to.y - from.y) * i) / frames };
    store.getState().onNodesChange([{ id, type: 'position', position: p, dragging: true }]);
  }
  store.getState().onNodesChange([{ id, type: 'position', position: to, dragging: false }]);
}

describe('designer store', () => {
  it('opens a document unchanged, with its problems on the nodes', () => {
    const store = createDesignerStore({ document: legal, agents: new Set(['case-law']) });
    expect(store.getState().document()).toEqual(legal);
    expect(store.getState().nodeProblems['summarizer']?.map((p) => p.code)).toEqual(['agent.unknown']);
  });

  it('a drag is one undo step, and undo/redo restore the exact documents', () => {
    const store = createDesignerStore({ document: legal });
    drag(store, 'risk', { x: 999, y: 17 });
    const moved = store.getState().document();
    expect(moved.nodes.find((n) => n.id === 'risk')!.position).toEqual({ x: 999, y: 17 });
    expect(store.getState().past).toHaveLength(1);
    store.getState().undo();
    expect(store.getState().document()).toEqual(legal);
    store.getState().redo();
    expect(store.getState().document()).toEqual(moved);
  });

  it('typing in one field is one undo step; another field starts a new one', () => {
    const store = createDesignerStore({ document: legal });
    for (const label of ['S', 'Su', 'Sum']) store.getState().updateNodeData('summarizer', { label }, { coalesce: 'label' });
    store.getState().updateNodeData('risk', { label: 'R' }, { coalesce: 'label' });
    expect(store.getState().past).toHaveLength(2);
    store.getState().undo();
    store.getState().undo();
    expect(store.getState().document()).toEqual(legal);
  });

  it('deleting a node takes its edges in the same step, and validation follows', () => {
    const store = createDesignerStore({ document: legal });
    store.getState().deleteElements({ nodes: ['sentiment'] });
    const doc = store.getState().document();
    expect(doc.edges.some((e) => e.source === 'sentiment' || e.target === 'sentiment')).toBe(false);
    store.getState().deleteElements({ nodes: ['all-analyses'] });
    expect(store.getState().problems.map((p) => p.code)).toContain('node.dead_end');
    store.getState().undo();
    store.getState().undo();
    expect(store.getState().document()).toEqual(legal);
    expect(store.getState().problems).toEqual([]);
  });

  it('refuses connections the validator forbids, and says why while drawing', () => {
    const store = createDesignerStore({ document: empty });
    const t = store.getState().addNode('trigger', { x: 0, y: 0 });
    const a = store.getState().addNode('agent', { x: 200, y: 0 });
    const b = store.getState().addNode('agent', { x: 200, y: 200 });
    expect(store.getState().isValidConnection({ source: t, target: a, sourceHandle: 'default', targetHandle: null })).toBe(true);
    store.getState().onConnect({ source: t, target: a, sourceHandle: 'default', targetHandle: null });
    // A second edge from the same handle of a non-fan-out node needs a fan-out.
    expect(store.getState().isValidConnection({ source: t, target: b, sourceHandle: 'default', targetHandle: null })).toBe(false);
    expect(store.getState().connectionHint).toMatch(/fan-out/);
    // A cycle.
    store.getState().onConnect({ source: a, target: b, sourceHandle: 'default', targetHandle: null });
    expect(store.getState().isValidConnection({ source: b, target: a, sourceHandle: 'error', targetHandle: null })).toBe(false);
    store.getState().onConnect({ source: b, target: a, sourceHandle: 'error', targetHandle: null });
    expect(store.getState().document().edges.map((e) => [e.source, e.target, e.sourceHandle])).toEqual([
      ['trigger-1', 'agent-1', undefined],
      ['agent-1', 'agent-2', undefined],
    ]);
  });

  it('adding a node after a selected one connects it when the rules allow', () => {
    const store = createDesignerStore({ document: empty });
    const t = store.getState().addNode('trigger', { x: 0, y: 0 });
    const f = store.getState().addNode('fanOut', { x: 200, y: 0 }, { connectFrom: t });
    store.getState().addNode('agent', { x: 400, y: 0 }, { connectFrom: f });
    store.getState().addNode('agent', { x: 400, y: 100 }, { connectFrom: f });
    expect(store.getState().document().edges.map((e) => `${e.source}>${e.target}`)).toEqual(['trigger-1>fanOut-1', 'fanOut-1>agent-1', 'fanOut-1>agent-2']);
  });

  it('renaming a node id carries its edges; a taken id is refused', () => {
    const store = createDesignerStore({ document: legal });
    expect(store.getState().renameNode('risk', 'summarizer')).toMatch(/already/);
    expect(store.getState().renameNode('risk', 'risk-level')).toBeNull();
    const doc = store.getState().document();
    expect(doc.edges.filter((e) => e.source === 'risk-level' || e.target === 'risk-level')).toHaveLength(3);
    expect(store.getState().problems).toEqual([]);
  });

  it('removing a route removes the edges leaving by it', () => {
    const store = createDesignerStore({ document: legal });
    store.getState().updateNodeData('risk', { config: { routes: [] } });
    expect(store.getState().document().edges.some((e) => e.sourceHandle === 'high')).toBe(false);
  });

  it('a read-only canvas does not change', () => {
    const store = createDesignerStore({ document: legal, readOnly: true });
    store.getState().deleteElements({ nodes: ['risk'] });
    drag(store, 'risk', { x: 5, y: 5 });
    store.getState().onConnect({ source: 'done', target: 'risk', sourceHandle: null, targetHandle: null });
    expect(store.getState().document()).toEqual(legal);
  });

  it('auto-layout is one undo step and keeps the graph', () => {
    const store = createDesignerStore({ document: legal });
    store.getState().layout();
    const laid = store.getState().document();
    expect(laid.edges).toEqual(legal.edges);
    expect(laid.nodes.map((n) => n.id)).toEqual(legal.nodes.map((n) => n.id));
    const xs = (id: string) => laid.nodes.find((n) => n.id === id)!.position.x;
    expect(xs('case-opened')).toBeLessThan(xs('analyse'));
    expect(xs('analyse')).toBeLessThan(xs('case-law'));
    store.getState().undo();
    expect(store.getState().document()).toEqual(legal);
  });

  it('a step added after a router or an approval takes its first free port, in drawn order', () => {
    const doc: WorkflowDocument = {
      formatVersion: 1,
      nodes: [
        { id: 't', kind: 'trigger', position: { x: 0, y: 0 }, config: { mode: 'manual', keyHold: 'working' } },
        { id: 'r', kind: 'router', position: { x: 300, y: 0 }, config: { routes: [{ id: 'hi', label: 'High', condition: 'true' }, { id: 'lo', condition: 'false' }] } },
      ],
      edges: [{ id: 'e', source: 't', target: 'r' }],
    };
    const store = createDesignerStore({ document: doc });
    const handleTo = (target: string) => store.getState().edges.find((e) => e.target === target)?.sourceHandle;
    const a = store.getState().addNode('approval', { x: 600, y: 0 }, { connectFrom: 'r' });
    const b = store.getState().addNode('end', { x: 600, y: 100 }, { connectFrom: 'r' });
    const c = store.getState().addNode('end', { x: 600, y: 200 }, { connectFrom: 'r' });
    const d = store.getState().addNode('end', { x: 600, y: 300 }, { connectFrom: 'r' });
    expect([handleTo(a), handleTo(b), handleTo(c), handleTo(d)]).toEqual(['hi', 'lo', 'default', undefined]);
    const yes = store.getState().addNode('end', { x: 900, y: 0 }, { connectFrom: a });
    const no = store.getState().addNode('end', { x: 900, y: 100 }, { connectFrom: a });
    expect([handleTo(yes), handleTo(no)]).toEqual(['approved', 'rejected']);
  });

  it('knows the label of each route, for the edges that leave by it', () => {
    const store = createDesignerStore({ document: legal });
    expect(store.decorations.getState().portLabels[portKey('risk', 'high')]).toBe('High risk');
  });
});
