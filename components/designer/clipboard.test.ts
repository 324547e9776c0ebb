import { describe, expect, it } from 'vitest';
import { DEMO_TEMPLATES } from '@/server/workflows/templates';
import { createNode, type WorkflowDocument } from '@/server/workflows/schema';
import { validateWorkflow } from '@/server/workflows/validate';
import { copySelection, parseClipboard, pasteInto, serializeClipboard } from './clipboard';

const legal = DEMO_TEMPLATES.find((t) => t.slug === 'legal-case-analysis')!.document;

describe('copy and paste', () => {
  it('copies the selected nodes with the edges between them, through the clipboard text', () => {
    const p = copySelection(legal, new Set(['analyse', 'case-law', 'precedent']))!;
    expect(p.nodes.map((n) => n.id)).toEqual(['analyse', 'case-law', 'precedent']);
    expect(p.edges.map((e) => e.id)).toEqual(['e-analyse-case-law', 'e-analyse-precedent']);
    expect(parseClipboard(serializeClipboard(p))).toEqual(p);
    expect(copySelection(legal, new Set())).toBeNull();
  });

  it('ignores clipboard text that is not Spine nodes, or is hostile', () => {
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard('{"type":"spine/workflow-nodes","formatVersion":1,"nodes":[{"id":"x","kind":"virus"}],"edges":[]}')).toBeNull();
    expect(parseClipboard('{"type":"spine/workflow-nodes"')).toBeNull();
  });

  it('pasting into the same workflow renames clashing ids and offsets positions; into another keeps ids', () => {
    const p = copySelection(legal, new Set(['analyse', 'case-law']))!;
    const same = pasteInto(legal, p, { offset: { x: 32, y: 32 } });
    expect(same.nodes.map((n) => n.id)).toEqual(['analyse-1', 'case-law-1']);
    expect(same.edges).toEqual([{ id: 'e-analyse-1-case-law-1', source: 'analyse-1', target: 'case-law-1' }]);
    expect(same.nodes[0]!.position).toEqual({ x: legal.nodes[1]!.position.x + 32, y: legal.nodes[1]!.position.y + 32 });
    const merged: WorkflowDocument = { ...legal, nodes: [...legal.nodes, ...same.nodes], edges: [...legal.edges, ...same.edges] };
    expect(validateWorkflow(merged).filter((x) => x.code === 'node.duplicate_id' || x.code === 'edge.duplicate_id')).toEqual([]);

    const empty: WorkflowDocument = { formatVersion: 1, nodes: [createNode('trigger', 'agent')], edges: [] };
    const other = pasteInto(empty, p, { at: { x: 0, y: 0 } });
    expect(other.nodes.map((n) => [n.id, n.position])).toEqual([
      ['analyse', { x: 0, y: legal.nodes[1]!.position.y - Math.min(...p.nodes.map((n) => n.position.y)) }],
      ['case-law', { x: 250, y: 0 }],
    ]);
  });
});
