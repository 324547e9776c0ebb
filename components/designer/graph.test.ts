import { describe, expect, it } from 'vitest';
import { DEMO_TEMPLATES } from '@/server/workflows/templates';
import { createNode, WorkflowDocument } from '@/server/workflows/schema';
import { fromDocument, toDocument } from './graph';

describe('graph ↔ document', () => {
  it.each(DEMO_TEMPLATES.map((t) => [t.slug, t.document] as const))('%s round-trips exactly', (_slug, doc) => {
    const { nodes, edges } = fromDocument(doc);
    expect(toDocument(nodes, edges)).toEqual(doc);
    expect(JSON.stringify(toDocument(nodes, edges))).toBe(JSON.stringify(doc));
  });

  it('keeps labels, explicit default handles and edge labels; omits what the document omits', () => {
    const doc = WorkflowDocument.parse({
      formatVersion: 1,
      nodes: [createNode('trigger', 't', { x: 1.5, y: -2 }, '<b>Start</b>'), createNode('router', 'r', { x: 300, y: 0 }), createNode('end', 'a'), createNode('end', 'b')],
      edges: [
        { id: 'e1', source: 't', target: 'r', label: 'go' },
        { id: 'e2', source: 'r', target: 'a', sourceHandle: 'default' },
      ],
    });
    const g = fromDocument(doc);
    expect(g.edges.map((e) => e.sourceHandle)).toEqual(['default', 'default']);
    expect(g.nodes[0]).toMatchObject({ id: 't', type: 'trigger', position: { x: 1.5, y: -2 }, data: { label: '<b>Start</b>' } });
    expect(toDocument(g.nodes, g.edges)).toEqual(doc);
    expect(toDocument(g.nodes, g.edges).edges[0]).not.toHaveProperty('sourceHandle');
  });

  it('a designer edge from a named handle is written with that handle', () => {
    const doc = WorkflowDocument.parse({ formatVersion: 1, nodes: [createNode('agent', 'a'), createNode('end', 'x')], edges: [] });
    const g = fromDocument(doc);
    const out = toDocument(g.nodes, [{ id: 'e', type: 'workflow', source: 'a', target: 'x', sourceHandle: 'error', data: {} }]);
    expect(out.edges).toEqual([{ id: 'e', source: 'a', target: 'x', sourceHandle: 'error' }]);
  });
});
