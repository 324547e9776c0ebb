import { describe, expect, it } from 'vitest';
import { DEMO_TEMPLATES } from '@/server/workflows/templates';
import { createNode, type WorkflowDocument } from '@/server/workflows/schema';
import { diffDocuments, isEmptyDiff, summarizeDiff } from './diff';

const legal = DEMO_TEMPLATES.find((t) => t.slug === 'legal-case-analysis')!.document;

describe('change summary', () => {
  it('a first publish adds every node and edge', () => {
    const d = diffDocuments(null, legal);
    expect(d.addedNodes).toHaveLength(legal.nodes.length);
    expect(d.addedEdges).toHaveLength(legal.edges.length);
    expect(summarizeDiff(d)).toMatch(/^14 nodes added \(case-opened, analyse, case-law, financial-impact and 10 more\); edges: 17 added$/);
  });

  it('names nodes added, removed and changed; a move alone is layout only', () => {
    const next: WorkflowDocument = {
      ...legal,
      nodes: [
        ...legal.nodes.filter((n) => n.id !== 'sentiment').map((n) => (n.id === 'summarizer' ? { ...n, label: 'Summarise' } : n.id === 'risk' ? { ...n, position: { x: 0, y: 0 } } : n)),
        createNode('delay', 'wait-1'),
      ],
      edges: legal.edges.filter((e) => e.source !== 'sentiment' && e.target !== 'sentiment'),
    };
    const d = diffDocuments(legal, next);
    expect(d).toMatchObject({ addedNodes: ['wait-1'], removedNodes: ['sentiment'], changedNodes: ['summarizer'], movedNodes: ['risk'] });
    expect(summarizeDiff(d)).toBe('1 node added (wait-1); 1 node removed (sentiment); 1 node changed (summarizer); edges: 2 removed');
    const moved = diffDocuments(legal, { ...legal, nodes: legal.nodes.map((n) => (n.id === 'risk' ? { ...n, position: { x: 9, y: 9 } } : n)) });
    expect(isEmptyDiff(moved)).toBe(true);
    expect(summarizeDiff(moved)).toBe('layout only (1 node moved)');
    expect(summarizeDiff(diffDocuments(legal, legal))).toBe('no changes');
  });

  it('compares edges by connection, not by id', () => {
    const renamed = { ...legal, edges: legal.edges.map((e, i) => ({ ...e, id: `x${i}` })) };
    expect(isEmptyDiff(diffDocuments(legal, renamed))).toBe(true);
  });
});
