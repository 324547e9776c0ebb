/**
 * approval: a human gate. The run waits (durably, for days if need be) until enough distinct approvers of
 * the required role approve, or one rejects; an SLA timer can decide automatically, fail the run, or
 * escalate when it lapses. Decisions are events carrying the actor. Two approvers deciding at the same
 * instant cannot both count: each decision's idempotency key is its ordinal (`approval:<id>:<n>`), so the
 * second writer of the same ordinal is told it was too late.
 *
 * Four eyes: with `distinctFrom`, whoever approved one of the named approvals of the run may not decide
 * this one (`approval.four_eyes`, 403). Escalation: `onLapse: 'escalate'` hands the approval to
 * `escalateTo` (`approval.escalated`, with the new role and the time; the inbox shows the new role), with
 * a second SLA if `escalationSlaMs` is set; when that lapses too, the run fails with `approval.lapsed`.
 */
import type { Json } from '@/server/spine';
import type { ApprovalNode } from '@/server/workflows/schema';
import { ConflictError, ForbiddenError, NotFoundError } from '@/server/errors';
import { rolesAllow } from '@/server/auth/roles';
import type { Decision } from '../events';
import { decisionKey, timerId } from '../ids';
import type { RunState } from '../run/evolve';
import { decision, failRun, type DecideContext } from '../run/decideContext';

export function approvalId(runId: string, nodeId: string): string {
  return `${runId}:${nodeId}`;
}

export function requestApproval(c: DecideContext, node: ApprovalNode): Decision[] {
  const cfg = node.config;
  const dueAt = cfg.slaMs !== undefined ? new Date(c.now + cfg.slaMs).toISOString() : null;
  const id = approvalId(c.state.runId, node.id);
  const payload: Record<string, Json> = { nodeId: node.id, approvalId: id, role: cfg.role, instructions: cfg.instructions ?? null, dueAt, requiredApprovals: cfg.requiredApprovals, allowRequester: cfg.allowRequester, onLapse: cfg.onLapse };
  if (cfg.distinctFrom?.length) payload.distinctFrom = cfg.distinctFrom;
  const out = [decision(c, 'approval.requested', payload, node.id)];
  if (dueAt) out.push(decision(c, 'timer.scheduled', { timerId: timerId('approvalSla', node.id), nodeId: node.id, dueAt, purpose: 'approvalSla' }, 'sla', node.id));
  return out;
}

export function onLapse(c: DecideContext, node: ApprovalNode): Decision[] {
  const id = approvalId(c.state.runId, node.id);
  const a = c.state.approvals[id];
  if (!a || a.status !== 'pending') return [];
  const cfg = node.config;
  if (a.escalatedFrom !== undefined) return [failRun(c, 'approval.lapsed', `Approval ${node.id} was not decided within its SLA, nor within the escalation's by the role '${a.role}'`, node.id)];
  if (cfg.onLapse === 'escalate' && cfg.escalateTo) {
    const dueAt = cfg.escalationSlaMs !== undefined ? new Date(c.now + cfg.escalationSlaMs).toISOString() : null;
    const out = [decision(c, 'approval.escalated', { nodeId: node.id, approvalId: id, fromRole: a.role, role: cfg.escalateTo, escalatedAt: new Date(c.now).toISOString(), dueAt }, id)];
    if (dueAt) out.push(decision(c, 'timer.scheduled', { timerId: timerId('approvalSla', node.id, 1), nodeId: node.id, dueAt, purpose: 'approvalSla' }, 'sla', node.id, 1));
    return out;
  }
  if (cfg.onLapse === 'fail' || cfg.onLapse === 'escalate') return [failRun(c, 'approval.lapsed', `Approval ${node.id} was not decided within its SLA`, node.id)];
  const d = cfg.onLapse === 'approve' ? 'approve' : 'reject';
  return [decision(c, 'approval.decided', { nodeId: node.id, approvalId: id, decision: d, actor: 'system', comment: 'SLA lapsed', auto: true, n: a.decisions.length + 1 }, 'approval', id, a.decisions.length + 1)];
}

/** Validates a human decision against the run's committed state and builds its event. */
export function submitDecision(
  state: RunState,
  input: { approvalId: string; decision: 'approve' | 'reject'; comment?: string; actor: string; actorRoles?: readonly string[] },
): Decision {
  const a = state.approvals[input.approvalId];
  if (!a) throw new NotFoundError('approval.not_found', `No approval '${input.approvalId}'`, { approvalId: input.approvalId });
  if (state.status !== 'running' || a.status !== 'pending')
    throw new ConflictError('approval.already_decided', `Approval '${input.approvalId}' is already ${a.status === 'pending' ? `closed (run ${state.status})` : a.status}`, { approvalId: input.approvalId });
  if (input.actorRoles && !rolesAllow(input.actorRoles, a.role))
    throw new ForbiddenError('approval.wrong_role', `Deciding this approval needs the role '${a.role}'`, { approvalId: input.approvalId });
  if (!a.allowRequester && input.actor === state.startedBy && input.actor !== 'anonymous')
    throw new ForbiddenError('approval.requester', 'The requester of a run may not approve it', { approvalId: input.approvalId });
  const earlier = (a.distinctFrom ?? []).find((nodeId) => state.approvals[approvalId(state.runId, nodeId)]?.decisions.some((d) => d.decision === 'approve' && d.actor === input.actor && !d.auto));
  if (earlier !== undefined && input.actor !== 'anonymous')
    throw new ForbiddenError('approval.four_eyes', `${input.actor} approved '${earlier}' of this run already: this approval needs a second person (four eyes)`, { approvalId: input.approvalId, distinctFrom: earlier });
  if (a.decisions.some((d) => d.actor === input.actor && input.actor !== 'anonymous'))
    throw new ConflictError('approval.already_decided_by_actor', `${input.actor} has already decided this approval`, { approvalId: input.approvalId });
  const n = a.decisions.length + 1;
  return {
    type: 'approval.decided',
    payload: { nodeId: a.nodeId, approvalId: input.approvalId, decision: input.decision, actor: input.actor, n, ...(input.comment !== undefined && { comment: input.comment }) },
    idempotencyKey: decisionKey(state.runId, 'approval.decided', 'approval', input.approvalId, n),
    ...(state.key && { key: state.key }),
  };
}
