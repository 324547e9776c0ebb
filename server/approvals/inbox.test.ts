import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/roles';
import { approvalView, type ApprovalView } from '@/server/engine';
import { submitDecision } from '@/server/engine/primitives/approval';
import { approvalDecided, approvalRequested, links, nodeCompleted, runStarted, specFor, workflow } from '@/server/testing/given';
import type { SpineEvent } from '@/server/spine/events';
import { DEMO_TEMPLATES } from '@/server/workflows/templates';
import { decodeCursor, encodeCursor, InboxQuery, matchesInbox, runIdOf, whyNotDecide } from './inbox';
import { stepsSoFar, summarize } from './stepsSoFar';

const person = (name: string, ...roles: Actor['roles'][number][]): Actor => ({ kind: 'user', id: name, name, roles });
const gate: ApprovalView = { approvalId: 'run-1:gate', role: 'approver', status: 'pending', runStatus: 'running', votes: [], allowRequester: false, startedBy: 'olga', excluded: [] };

describe('who may decide an approval', () => {
  it('an approver may; an auditor, an operator and an architect may not', () => {
    expect(whyNotDecide(person('anna', 'approver'), gate)).toBeNull();
    expect(whyNotDecide(person('audrey', 'auditor'), gate)).toBe('auth.forbidden');
    expect(whyNotDecide(person('otto', 'operator'), gate)).toBe('auth.forbidden');
    expect(whyNotDecide(person('archie', 'architect'), gate)).toBe('auth.forbidden');
  });

  it('an admin may decide an approval of any role; an approver only of their own roles', () => {
    expect(whyNotDecide(person('root', 'admin'), { ...gate, role: 'finance' })).toBeNull();
    expect(whyNotDecide(person('anna', 'approver'), { ...gate, role: 'finance' })).toBe('approval.wrong_role');
  });

  it('the requester may not decide unless the node allows it; nobody decides twice; closed is closed', () => {
    expect(whyNotDecide(person('olga', 'approver'), gate)).toBe('approval.requester');
    expect(whyNotDecide(person('olga', 'approver'), { ...gate, allowRequester: true })).toBeNull();
    expect(whyNotDecide(person('anna', 'approver'), { ...gate, votes: [{ actor: 'anna' }] })).toBe('approval.already_decided_by_actor');
    expect(whyNotDecide(person('anna', 'approver'), { ...gate, status: 'approved' })).toBe('approval.already_decided');
    expect(whyNotDecide(person('anna', 'approver'), { ...gate, excluded: [{ actor: 'anna' }] })).toBe('approval.four_eyes');
    expect(whyNotDecide(person('ben', 'approver'), { ...gate, excluded: [{ actor: 'anna' }] })).toBeNull();
    expect(whyNotDecide(person('anna', 'approver'), { ...gate, runStatus: 'completed' })).toBe('approval.already_decided');
  });

  it('the inbox says what the engine would answer: the same code for every actor, on a fold', () => {
    const wf = workflow({
      nodes: [{ id: 'start', kind: 'trigger' }, { id: 'first', kind: 'approval' }, { id: 'second', kind: 'approval', config: { distinctFrom: ['first'], requiredApprovals: 2 } }, { id: 'done', kind: 'end' }, { id: 'no', kind: 'end', config: { outcome: 'failure' } }, { id: 'no-2', kind: 'end', config: { outcome: 'failure' } }],
      edges: links(['start', 'first'], ['first', 'second', 'approved'], ['first', 'no', 'rejected'], ['second', 'done', 'approved'], ['second', 'no-2', 'rejected']),
    });
    const second = { ...approvalRequested('second', { requiredApprovals: 2 }), payload: { ...approvalRequested('second', { requiredApprovals: 2 }).payload, distinctFrom: ['first'] } };
    const { state } = specFor(wf)(runStarted({ startedBy: 'olga' }), nodeCompleted('start'), approvalRequested('first'), approvalDecided('first', 'anna', 'approve', 1), second, approvalDecided('second', 'ben', 'approve', 1));
    const engineSays = (who: Actor) => {
      try {
        submitDecision(state, { approvalId: 'run-1:second', decision: 'approve', actor: who.name, actorRoles: who.roles });
        return null;
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    const actors = [person('anna', 'approver'), person('ben', 'approver'), person('olga', 'approver'), person('cleo', 'approver'), person('root', 'admin')];
    expect(actors.map((a) => whyNotDecide(a, approvalView(state, 'run-1:second')!))).toEqual(['approval.four_eyes', 'approval.already_decided_by_actor', 'approval.requester', null, null]);
    expect(actors.map(engineSays)).toEqual(actors.map((a) => whyNotDecide(a, approvalView(state, 'run-1:second')!)));
  });

  it('an approval id is its run id and node id', () => {
    expect(runIdOf('fd9b0ddb-9d27:contract-approval')).toBe('fd9b0ddb-9d27');
    expect(runIdOf('no-colon')).toBe('');
  });
});

describe('the steps so far', () => {
  const events = readFileSync(path.join(import.meta.dirname, '../engine/__fixtures__/procurement-large-paid.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SpineEvent);
  const doc = DEMO_TEMPLATES.find((t) => t.slug === 'procurement')!.document;

  it('before the second approval: legal review by its agent, the first approval with its approver, the large-amount route', () => {
    const upTo = events.findIndex((e) => e.type === 'approval.requested' && (e.payload as { nodeId: string }).nodeId === 'extra-approval');
    const steps = stepsSoFar(events.slice(0, upTo + 1), doc);
    expect(steps.map((s) => [s.kind, 'label' in s ? s.label : '', s.kind === 'agent' ? s.agent : s.kind === 'approval' ? `${s.actor} ${s.decision}` : s.kind === 'route' ? s.route : ''])).toEqual([
      ['agent', 'Legal review', 'legal-review'],
      ['approval', 'Contract approval', 'anna approve'],
      ['route', 'Amount', 'Over 10,000'],
    ]);
    const legal = steps[0]!;
    expect(legal.kind === 'agent' && legal.outcome).toBe('completed');
    expect(legal.kind === 'agent' && JSON.parse(legal.summary)).toBeTypeOf('object');
  });

  it('summaries are JSON text cut with an ellipsis', () => {
    expect(summarize({ html: '<b>x</b>' })).toBe('{"html":"<b>x</b>"}');
    expect(summarize('x'.repeat(500), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(summarize(undefined)).toBe('null');
  });
});

describe('inbox pages and filters', () => {
  const p = {
    approvalId: 'r1:gate', runId: 'r1', nodeId: 'gate', role: 'finance', instructions: 'Check the invoice', dueAt: null, requiredApprovals: 1, allowRequester: false,
    decisions: [], workflowSlug: 'books', intent: 'Pay ACME for chairs', startedBy: 'olga', requestedAt: '2026-01-01T00:00:00.000Z',
  };
  const q = (raw: Parameters<typeof InboxQuery.parse>[0]) => InboxQuery.parse(raw);
  const at = Date.parse(p.requestedAt);

  it('a cursor round-trips; anything else is a 400 approvals.invalid_cursor', () => {
    expect(decodeCursor(encodeCursor({ dueAt: null, approvalId: 'r1:gate' }))).toEqual(['~', 'r1:gate']);
    expect(decodeCursor(encodeCursor({ dueAt: '2026-01-02T00:00:00.000Z', approvalId: 'x' }))).toEqual(['2026-01-02T00:00:00.000Z', 'x']);
    for (const bad of ['nonsense', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{}').toString('base64url')])
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ code: 'approvals.invalid_cursor', httpStatus: 400 }));
  });

  it('search needs every word, in any case, in any of the fields; filters must all hold', () => {
    expect(matchesInbox(p, q({ search: 'acme INVOICE olga' }), person('anna', 'approver'), at)).toBe(true);
    expect(matchesInbox(p, q({ search: 'acme desks' }), person('anna', 'approver'), at)).toBe(false);
    expect(matchesInbox(p, q({ workflow: 'books', step: 'gate' }), person('anna', 'approver'), at)).toBe(true);
    expect(matchesInbox(p, q({ workflow: 'books', step: 'other' }), person('anna', 'approver'), at)).toBe(false);
    expect(matchesInbox(p, q({ assignedToMe: true }), person('anna', 'approver'), at)).toBe(false);
    expect(matchesInbox(p, q({ assignedToMe: true }), person('root', 'admin'), at)).toBe(true);
    expect(matchesInbox(p, q({ olderThanMs: 60_000 }), person('anna', 'approver'), at + 59_999)).toBe(false);
    expect(matchesInbox(p, q({ olderThanMs: 60_000 }), person('anna', 'approver'), at + 60_000)).toBe(true);
  });

  it('a page holds 25 unless asked, at most 500', () => {
    expect(q({}).limit).toBe(25);
    expect(InboxQuery.safeParse({ limit: 501 }).success).toBe(false);
    expect(InboxQuery.safeParse({ surprise: 1 }).success).toBe(false);
    // What tRPC's infinite query adds to the input.
    expect(InboxQuery.safeParse({ cursor: null, direction: 'forward' }).success).toBe(true);
    expect(InboxQuery.safeParse({ direction: 'backward' }).success).toBe(false);
  });
});
