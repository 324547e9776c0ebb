import { describe, expect, it } from 'vitest';
import { DEMO_TEMPLATES } from '@/server/workflows/templates';
import { createNode, type WorkflowDocument } from '@/server/workflows/schema';
import { approvalOutcomes, type OutcomeStep } from './outcomes';

const procurement = DEMO_TEMPLATES.find((t) => t.slug === 'procurement')!.document;

/** `label (kind)` per step, nested steps indented by their branch. */
function outline(steps: OutcomeStep[]): unknown[] {
  return steps.map((s) => (s.next.length ? { [`${s.via ? `${s.via}: ` : ''}${s.label} (${s.kind})`]: outline(s.next) } : `${s.via ? `${s.via}: ` : ''}${s.label} (${s.kind}${s.detail ? ` ${s.detail}` : ''})`));
}

describe('approval outcomes', () => {
  it('approving the procurement contract goes through the amount router to the large-purchase approval or on to inventory', () => {
    const { approved, rejected } = approvalOutcomes(procurement, 'contract-approval');
    expect(outline(approved)).toEqual([
      { 'Amount (router)': ['Over 10,000: Large purchase approval (approval)', { 'otherwise: Approved (join)': ['Inventory check (agent inventory-check)'] }] },
    ]);
    expect(outline(rejected)).toEqual(['Contract rejected (end failure)']);
  });

  it('the large-purchase approval leads to the join on approve and to a failed end on reject', () => {
    const { approved, rejected } = approvalOutcomes(procurement, 'extra-approval');
    expect(outline(approved)).toEqual([{ 'Approved (join)': ['Inventory check (agent inventory-check)'] }]);
    expect(outline(rejected)).toEqual(['Large purchase rejected (end failure)']);
  });

  it('stops at a cycle of pass-through nodes and reports a handle with no edge as nothing', () => {
    const doc: WorkflowDocument = {
      formatVersion: 1,
      nodes: [createNode('approval', 'gate'), createNode('join', 'j1'), createNode('join', 'j2')],
      edges: [
        { id: 'a', source: 'gate', target: 'j1', sourceHandle: 'approved' },
        { id: 'b', source: 'j1', target: 'j2' },
        { id: 'c', source: 'j2', target: 'j1' },
      ],
    };
    const { approved, rejected } = approvalOutcomes(doc, 'gate');
    expect(approved[0]!.next[0]!.nodeId).toBe('j2');
    expect(approved[0]!.next[0]!.next[0]).toMatchObject({ nodeId: 'j1', next: [] });
    expect(rejected).toEqual([]);
  });
});
