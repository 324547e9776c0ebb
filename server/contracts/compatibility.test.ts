import { describe, expect, it } from 'vitest';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { breakingChanges, pathsRead, undeclaredOutputReads, type FieldReader } from './compatibility';

const reader = (paths: string[][]): FieldReader => ({ workflowId: 'w', workflowName: 'Orders', version: 2, nodeId: 'big', where: "Orders v2 · step 'Big?' · route 'Large' condition", paths });
const V1 = { type: 'object', properties: { amount: { type: 'number' }, customer: { type: 'object', properties: { name: { type: 'string' } } }, tags: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } } } };

describe('pathsRead: the fields an expression reads below its root', () => {
  it('finds dotted and bracketed reads, nested paths, and ignores text in quotes and other roots', () => {
    expect(pathsRead('input.amount > 10 && input.customer.name != "input.fake"', { kind: 'input' })).toEqual([['amount'], ['customer', 'name']]);
    expect(pathsRead('has(results["case-law"].citations) && results.summarizer.risk == "high"', { kind: 'results', nodeId: 'case-law' })).toEqual([['citations']]);
    expect(pathsRead('results.summarizer.risk', { kind: 'results', nodeId: 'summarizer' })).toEqual([['risk']]);
    expect(pathsRead('state.input.amount + myinput.x', { kind: 'input' })).toEqual([]);
    expect(pathsRead('input.tags[0].id', { kind: 'input' })).toEqual([['tags']]);
  });
});

describe('breakingChanges: what a new schema version breaks for its readers', () => {
  it('a removed field, a removed parent and a retyped field break; an added field, a widened integer and an undeclared read do not', () => {
    const after = { type: 'object', properties: { amount: { type: 'string' }, note: { type: 'string' } } };
    const got = breakingChanges(V1, after, [reader([['amount'], ['customer', 'name'], ['undeclared']])]);
    expect(got.map((b) => b.field)).toEqual(['amount', 'customer.name']);
    expect(got[0]!.message).toContain("reads 'amount' as number, the new version makes it string");
    expect(got[1]!.message).toContain("reads 'customer.name', which the new version removes");
    expect(breakingChanges(V1, { ...V1, properties: { ...V1.properties, extra: { type: 'boolean' } } }, [reader([['amount'], ['customer', 'name']])])).toEqual([]);
    const int = { type: 'object', properties: { n: { type: 'integer' } } };
    expect(breakingChanges(int, { type: 'object', properties: { n: { type: 'number' } } }, [reader([['n']])])).toEqual([]);
    expect(breakingChanges(V1, after, [])).toEqual([]);
  });
});

describe('undeclaredOutputReads: what the designer marks', () => {
  it('marks a condition reading a field the agent does not declare, naming the step and route', () => {
    const doc = {
      formatVersion: 1,
      nodes: [
        { id: 'check', kind: 'agent', label: 'Check', position: { x: 0, y: 0 }, config: { agent: 'checker' } },
        { id: 'route', kind: 'router', label: 'Route', position: { x: 0, y: 0 }, config: { routes: [{ id: 'ok', label: 'Approved', condition: 'results.check.approved && results.check.score > 3' }] } },
      ],
      edges: [],
    } as unknown as WorkflowDocument;
    const got = undeclaredOutputReads(doc, (a) => (a === 'checker' ? { type: 'object', properties: { approved: { type: 'boolean' } } } : undefined));
    expect(got).toEqual([expect.objectContaining({ nodeId: 'route', field: 'config.routes.0.condition', read: 'score' })]);
    expect(got[0]!.message).toBe("Step 'Route' · route 'Approved' condition reads 'score' of step 'Check', which agent 'checker' does not declare in its output schema");
    expect(undeclaredOutputReads(doc, () => undefined)).toEqual([]);
  });
});
