/**
 * approval in domain words: enough distinct approvers, or one rejection, decide it; nobody votes twice and
 * the requester not at all; a lapsing SLA decides, fails or escalates (to a second role); a real four-eyes
 * gate (whoever approved one approval may not decide the one that names it in `distinctFrom`).
 */
import { describe, expect, it } from 'vitest';
import { ROLES } from '@/server/auth/roles';
import { APPROVAL_ROLES, ApprovalConfig } from '@/server/workflows/schema';
import { approvalDecided, approvalRequested, links, nodeCompleted, nothingNew, runCompleted, runStarted, specFor, T0, timerFired, timerScheduled, workflow, type Fact } from '@/server/testing/given';
import { approvalView, mayDecide, submitDecision, type ApprovalView } from './approval';

const iso = (ms: number) => new Date(ms).toISOString();

/** start → gate (approval) → approved: done; rejected: refused */
const gated = (config: Record<string, unknown>) =>
  workflow({
    nodes: [{ id: 'start', kind: 'trigger' }, { id: 'gate', kind: 'approval', config }, { id: 'done', kind: 'end', config: { outcome: 'success' } }, { id: 'refused', kind: 'end', config: { outcome: 'failure' } }],
    edges: links(['start', 'gate'], ['gate', 'done', 'approved'], ['gate', 'refused', 'rejected']),
  });

/** start → first → (approved) second → done; either rejected → refused. */
const twoGates = (second: Record<string, unknown>) =>
  workflow({
    nodes: [
      { id: 'start', kind: 'trigger' }, { id: 'first', kind: 'approval', label: 'Contract' }, { id: 'second', kind: 'approval', config: second },
      { id: 'done', kind: 'end' }, { id: 'refused', kind: 'end', config: { outcome: 'failure' } }, { id: 'refused-2', kind: 'end', config: { outcome: 'failure' } },
    ],
    edges: links(['start', 'first'], ['first', 'second', 'approved'], ['first', 'refused', 'rejected'], ['second', 'done', 'approved'], ['second', 'refused-2', 'rejected']),
  });

const fourEyesRequested: Fact = { ...approvalRequested('second'), payload: { ...approvalRequested('second').payload, distinctFrom: ['first'] } };
const atSecond: Fact[] = [runStarted({ startedBy: 'olga' }), nodeCompleted('start'), approvalRequested('first'), approvalDecided('first', 'anna', 'approve', 1), fourEyesRequested];

describe('approval: four eyes, rejections and a lapsing SLA', () => {
  const fourEyes = gated({ requiredApprovals: 2, slaMs: 60_000, onLapse: 'fail' });
  const requested = [runStarted({ startedBy: 'olga' }), nodeCompleted('start'), approvalRequested('gate', { requiredApprovals: 2, dueAt: iso(T0 + 60_000) }), timerScheduled('approvalSla:gate:0', 'approvalSla', iso(T0 + 60_000), 'gate')];

  it('requests the approval with its SLA timer', () => {
    specFor(fourEyes, { now: T0 })(runStarted(), nodeCompleted('start'))
      .when(nothingNew)
      .then([
        { type: 'approval.requested', payload: { nodeId: 'gate', approvalId: 'run-1:gate', requiredApprovals: 2, dueAt: iso(T0 + 60_000) } },
        { type: 'timer.scheduled', payload: { timerId: 'approvalSla:gate:0', purpose: 'approvalSla', dueAt: iso(T0 + 60_000) } },
      ]);
  });

  it('one approval of two is not enough; the same person cannot approve twice; a second person completes it', () => {
    const given = specFor(fourEyes);
    const one = given(...requested).when(approvalDecided('gate', 'anna', 'approve', 1));
    one.thenNothing();
    expect(one.state.approvals['run-1:gate']).toMatchObject({ status: 'pending' });
    expect(() => submitDecision(one.state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'anna' })).toThrow(expect.objectContaining({ code: 'approval.already_decided_by_actor', httpStatus: 409 }));
    expect(() => submitDecision(one.state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'olga' })).toThrow(expect.objectContaining({ code: 'approval.requester', httpStatus: 403 }));
    const second = submitDecision(one.state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'ben' });
    expect(second).toMatchObject({ type: 'approval.decided', payload: { n: 2, actor: 'ben' }, idempotencyKey: 'engine:run-1:approval.decided:approval:run-1:gate:2' });
    given(...requested, approvalDecided('gate', 'anna', 'approve', 1))
      .when(approvalDecided('gate', 'ben', 'approve', 2))
      .then([{ type: 'run.completed', payload: { endNodeId: 'done' } }]);
  });

  it('one rejection decides it, by the rejected branch', () => {
    specFor(fourEyes)(...requested).when(approvalDecided('gate', 'anna', 'reject', 1)).then([{ type: 'run.failed', payload: { code: 'end.failure', nodeId: 'refused' } }]);
  });

  it('a decision after the approval closed is refused', () => {
    const { state } = specFor(fourEyes)(...requested, approvalDecided('gate', 'anna', 'reject', 1));
    expect(() => submitDecision(state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'ben' })).toThrow(expect.objectContaining({ code: 'approval.already_decided' }));
    expect(() => submitDecision(state, { approvalId: 'run-1:nope', decision: 'approve', actor: 'ben' })).toThrow(expect.objectContaining({ code: 'approval.not_found' }));
  });

  it.each([
    ['fail', [{ type: 'run.failed' as const, payload: { code: 'approval.lapsed', nodeId: 'gate', reason: 'Approval gate was not decided within its SLA' } }]],
    ['approve', [{ type: 'approval.decided' as const, payload: { decision: 'approve', actor: 'system', auto: true, n: 1 } }]],
    ['reject', [{ type: 'approval.decided' as const, payload: { decision: 'reject', actor: 'system', auto: true, n: 1 } }]],
  ])('the SLA lapses with on-lapse %s', (onLapse, expected) => {
    specFor(gated({ requiredApprovals: 2, slaMs: 60_000, onLapse }))(...requested).when(timerFired('approvalSla:gate:0')).then(expected);
  });

  it('an automatic approval on lapse counts as enough, even with two required', () => {
    const wf = gated({ requiredApprovals: 2, slaMs: 60_000, onLapse: 'approve' });
    specFor(wf)(...requested, timerFired('approvalSla:gate:0')).when(approvalDecided('gate', 'system', 'approve', 1, { auto: true })).then([{ type: 'run.completed', payload: { endNodeId: 'done' } }]);
  });

  it('an SLA timer firing after the decision does nothing', () => {
    const given = specFor(fourEyes);
    given(...requested, approvalDecided('gate', 'anna', 'approve', 1), approvalDecided('gate', 'ben', 'approve', 2), runCompleted('done')).when(timerFired('approvalSla:gate:0')).thenNothing();
  });
});

describe('approval: four eyes across two gates', () => {
  it('the second gate asks for a second person: the first approver is refused with 403 approval.four_eyes, another approves', () => {
    const { state } = specFor(twoGates({ distinctFrom: ['first'] }))(...atSecond);
    for (const decision of ['approve', 'reject'] as const)
      expect(() => submitDecision(state, { approvalId: 'run-1:second', decision, actor: 'anna', actorRoles: ['approver'] })).toThrow(
        expect.objectContaining({ code: 'approval.four_eyes', httpStatus: 403, message: "anna approved 'first' of this run already: this approval needs a second person (four eyes)" }),
      );
    expect(submitDecision(state, { approvalId: 'run-1:second', decision: 'approve', actor: 'ben', actorRoles: ['approver'] })).toMatchObject({ type: 'approval.decided', payload: { actor: 'ben', nodeId: 'second' } });
  });

  it('the rule comes from the node: it is recorded in approval.requested, and without it one person may decide both', () => {
    specFor(twoGates({ distinctFrom: ['first'] }))(...atSecond.slice(0, 4)).when(nothingNew).then([{ type: 'approval.requested', payload: { nodeId: 'second', distinctFrom: ['first'] } }]);
    const open = specFor(twoGates({}))(...atSecond.slice(0, 4), { ...approvalRequested('second') });
    expect(submitDecision(open.state, { approvalId: 'run-1:second', decision: 'approve', actor: 'anna' })).toMatchObject({ payload: { actor: 'anna' } });
  });

  it('an automatic approval of the first gate (its SLA lapsed) blocks no one', () => {
    const wf = twoGates({ distinctFrom: ['first'] });
    const auto = specFor(wf)(runStarted(), nodeCompleted('start'), approvalRequested('first'), approvalDecided('first', 'system', 'approve', 1, { auto: true }), fourEyesRequested);
    expect(() => submitDecision(auto.state, { approvalId: 'run-1:second', decision: 'approve', actor: 'system' })).not.toThrow();
  });

  it('the procurement template makes its large-purchase approval a four-eyes gate', async () => {
    const { DEMO_TEMPLATES } = await import('@/server/workflows/templates');
    const procurement = DEMO_TEMPLATES.find((t) => t.slug === 'procurement')!;
    const extra = procurement.document.nodes.find((n) => n.id === 'extra-approval')!;
    expect(extra.config).toMatchObject({ distinctFrom: ['contract-approval'] });
  });
});

describe('approval: a lapsed SLA escalates to a second role', () => {
  const cfg = { role: 'approver', slaMs: 60_000, onLapse: 'escalate', escalateTo: 'operator', escalationSlaMs: 30_000 } as const;
  const wf = workflow({
    nodes: [{ id: 'start', kind: 'trigger' }, { id: 'gate', kind: 'approval', config: cfg }, { id: 'done', kind: 'end' }, { id: 'refused', kind: 'end', config: { outcome: 'failure' } }],
    edges: links(['start', 'gate'], ['gate', 'done', 'approved'], ['gate', 'refused', 'rejected']),
  });
  const requested: Fact[] = [runStarted(), nodeCompleted('start'), approvalRequested('gate', { dueAt: iso(T0 + 60_000) }), timerScheduled('approvalSla:gate:0', 'approvalSla', iso(T0 + 60_000), 'gate')];
  const lapseAt = T0 + 60_010;
  const escalated: Fact = { type: 'approval.escalated', payload: { nodeId: 'gate', approvalId: 'run-1:gate', fromRole: 'approver', role: 'operator', escalatedAt: iso(lapseAt), dueAt: iso(lapseAt + 30_000) } };

  it('on lapse: approval.escalated with the new role and the time, and a second SLA timer', () => {
    specFor(wf)(...requested)
      .when(timerFired('approvalSla:gate:0'), { now: lapseAt })
      .then([
        { type: 'approval.escalated', payload: { nodeId: 'gate', approvalId: 'run-1:gate', fromRole: 'approver', role: 'operator', escalatedAt: iso(lapseAt), dueAt: iso(lapseAt + 30_000) } },
        { type: 'timer.scheduled', payload: { timerId: 'approvalSla:gate:1', purpose: 'approvalSla', dueAt: iso(lapseAt + 30_000), nodeId: 'gate' } },
      ]);
  });

  it('the approval now belongs to the escalated role: its approvers may decide, the first role may not', () => {
    const { state } = specFor(wf)(...requested, timerFired('approvalSla:gate:0'), escalated);
    expect(state.approvals['run-1:gate']).toMatchObject({ status: 'pending', role: 'operator', escalatedFrom: 'approver', escalatedAt: iso(lapseAt), dueAt: iso(lapseAt + 30_000) });
    expect(state.nodes.gate).toMatchObject({ status: 'waiting', lapsed: false });
    expect(() => submitDecision(state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'anna', actorRoles: ['approver'] })).toThrow(expect.objectContaining({ code: 'approval.wrong_role', httpStatus: 403 }));
    expect(submitDecision(state, { approvalId: 'run-1:gate', decision: 'approve', actor: 'otto', actorRoles: ['operator'] })).toMatchObject({ payload: { actor: 'otto' } });
    specFor(wf)(...requested, timerFired('approvalSla:gate:0'), escalated).when(nothingNew).thenNothing();
  });

  it('when the escalation lapses too, the run fails with approval.lapsed', () => {
    const history = [...requested, timerFired('approvalSla:gate:0'), escalated, timerScheduled('approvalSla:gate:1', 'approvalSla', iso(lapseAt + 30_000), 'gate')];
    specFor(wf)(...history)
      .when(timerFired('approvalSla:gate:1'))
      .then([{ type: 'run.failed', payload: { code: 'approval.lapsed', nodeId: 'gate', reason: "Approval gate was not decided within its SLA, nor within the escalation's by the role 'operator'" } }]);
  });

  it('roles are Spine’s roles: escalating needs a role to escalate to, and a role outside ROLES is refused', () => {
    expect([...APPROVAL_ROLES]).toEqual([...ROLES]);
    expect(ApprovalConfig.safeParse({ onLapse: 'escalate' }).error?.issues[0]).toMatchObject({ path: ['escalateTo'] });
    expect(ApprovalConfig.safeParse({ role: 'boss' }).success).toBe(false);
    expect(ApprovalConfig.safeParse({ onLapse: 'escalate', escalateTo: 'chief' }).success).toBe(false);
    expect(ApprovalConfig.parse({ onLapse: 'escalate', escalateTo: 'admin' })).toMatchObject({ role: 'approver', onLapse: 'escalate', escalateTo: 'admin' });
  });
});

describe('who may vote: one rule (mayDecide), the one submitDecision throws from', () => {
  const open: ApprovalView = { approvalId: 'run-1:gate', role: 'approver', status: 'pending', runStatus: 'running', allowRequester: false, startedBy: 'olga', votes: [], excluded: [] };
  const code = (a: ApprovalView, voter: Parameters<typeof mayDecide>[1]) => {
    const may = mayDecide(a, voter);
    return may.ok ? null : may.code;
  };

  it('refusals come in one order: closed, role, requester, four eyes, one vote each', () => {
    const everything: ApprovalView = { ...open, role: 'finance', startedBy: 'anna', votes: [{ actor: 'anna' }], excluded: [{ actor: 'anna', nodeId: 'first' }] };
    const anna = { name: 'anna', roles: ['approver'] };
    expect(code({ ...everything, runStatus: 'failed' }, anna)).toBe('approval.already_decided');
    expect(code(everything, anna)).toBe('approval.wrong_role');
    expect(code({ ...everything, role: 'approver' }, anna)).toBe('approval.requester');
    expect(code({ ...everything, role: 'approver', allowRequester: true }, anna)).toBe('approval.four_eyes');
    expect(code({ ...everything, role: 'approver', allowRequester: true, excluded: [] }, anna)).toBe('approval.already_decided_by_actor');
  });

  it('the door (the approver role at all) is checked only when asked: the engine trusts the transport, the inbox answers for it', () => {
    expect(code({ ...open, role: 'operator' }, { name: 'otto', roles: ['operator'] })).toBeNull();
    expect(code({ ...open, role: 'operator' }, { name: 'otto', roles: ['operator'], atTheDoor: true })).toBe('auth.forbidden');
    expect(code(open, { name: 'anna' })).toBeNull();
  });

  it('an anonymous caller is nobody in particular: the rules about a person do not apply to it', () => {
    const someone = { ...open, startedBy: 'anonymous', votes: [{ actor: 'anonymous' }], excluded: [{ actor: 'anonymous' }] };
    expect(code(someone, { name: 'anonymous' })).toBeNull();
    expect(code(someone, { name: 'anonymous', roles: ['auditor'] })).toBe('approval.wrong_role');
  });

  it('the view of a fold names the gate a four-eyes voter approved, and the refusal carries what the error does', () => {
    const { state } = specFor(twoGates({ distinctFrom: ['first'] }))(...atSecond);
    const view = approvalView(state, 'run-1:second')!;
    expect(view).toMatchObject({ role: 'approver', status: 'pending', runStatus: 'running', startedBy: 'olga', votes: [], excluded: [{ actor: 'anna', nodeId: 'first' }] });
    expect(mayDecide(view, { name: 'anna' })).toEqual({
      ok: false, code: 'approval.four_eyes', message: "anna approved 'first' of this run already: this approval needs a second person (four eyes)", details: { approvalId: 'run-1:second', distinctFrom: 'first' },
    });
    expect(approvalView(state, 'run-1:nope')).toBeUndefined();
  });
});
