import { describe, expect, it } from 'vitest';
import { DEMO_TEMPLATES } from '@/server/workflows/templates';
import { createNode } from '@/server/workflows/schema';
import { checkImportSize, MAX_IMPORT_BYTES, nameFromFileName, parseWorkflowFile, serializeWorkflow } from './documentFile';

const legal = DEMO_TEMPLATES.find((t) => t.slug === 'legal-case-analysis')!.document;
const codes = (r: ReturnType<typeof parseWorkflowFile>) => (r.ok ? [] : r.issues.map((i) => i.code));

describe('workflow files', () => {
  it('export → import round-trips to the same document', () => {
    const r = parseWorkflowFile(serializeWorkflow(legal));
    expect(r).toMatchObject({ ok: true, document: legal });
  });

  it("carries the workflow's name, and the document stays exactly a document", () => {
    const text = serializeWorkflow(legal, { name: 'Legal case' });
    expect(Object.keys(JSON.parse(text) as object)[0]).toBe('name');
    expect(parseWorkflowFile(text)).toMatchObject({ ok: true, document: legal, name: 'Legal case' });
    expect(parseWorkflowFile(serializeWorkflow(legal))).not.toHaveProperty('name');
  });

  it('refuses what is not JSON, not a workflow, or uses unknown kinds', () => {
    expect(parseWorkflowFile('{nope')).toMatchObject({ ok: false, title: 'The file is not valid JSON' });
    expect(codes(parseWorkflowFile('[1,2]'))).toEqual(['import.not_a_workflow']);
    const unknown = { formatVersion: 1, nodes: [{ id: 'x', kind: 'shellExec', config: {} }], edges: [] };
    expect(parseWorkflowFile(JSON.stringify(unknown))).toMatchObject({ ok: false, issues: [{ code: 'import.unknown_kind', message: expect.stringContaining('"shellExec"') }] });
  });

  it('refuses cycles, duplicate ids and dangling edges, even with script in labels', () => {
    const cyclic = {
      formatVersion: 1,
      nodes: [createNode('trigger', 't', undefined, '<script>alert(1)</script>'), createNode('agent', 'a'), createNode('agent', 'b')],
      edges: [
        { id: 'e1', source: 't', target: 'a' },
        { id: 'e2', source: 'a', target: 'b' },
        { id: 'e3', source: 'b', target: 'a' },
      ],
    };
    expect(parseWorkflowFile(JSON.stringify(cyclic))).toMatchObject({ ok: false, title: 'The workflow has a cycle' });
    expect(codes(parseWorkflowFile(JSON.stringify({ ...legal, edges: [...legal.edges, { id: 'zz', source: 'ghost', target: 'done' }] })))).toEqual(['edge.unknown_node']);
    expect(codes(parseWorkflowFile(JSON.stringify({ ...legal, nodes: [...legal.nodes, legal.nodes[0]] })))).toContain('node.duplicate_id');
  });

  it('refuses files over the limit before reading them, and oversized text too', () => {
    expect(checkImportSize(10 * 1024 * 1024)).toMatchObject({ ok: false, issues: [{ code: 'import.too_large' }] });
    expect(checkImportSize(1000)).toBeNull();
    expect(codes(parseWorkflowFile(' '.repeat(MAX_IMPORT_BYTES + 1)))).toEqual(['import.too_large']);
  });

  it('imports an incomplete draft; its problems come along', () => {
    const r = parseWorkflowFile(JSON.stringify({ formatVersion: 1, nodes: [createNode('agent', 'a', undefined, '<img src=x onerror=alert(1)>')], edges: [] }));
    expect(r.ok).toBe(true);
    expect(r.ok && r.problems.map((p) => p.code)).toContain('agent.not_set');
  });

  it('names an imported workflow after its file', () => {
    expect(nameFromFileName('legal-case.json')).toBe('legal-case');
    expect(nameFromFileName('x.workflow.json')).toBe('x');
    expect(nameFromFileName('.json')).toBe('Imported workflow');
  });
});
