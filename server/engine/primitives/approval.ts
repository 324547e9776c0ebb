/**
 * approval: a human gate. The run waits (durably, for days if need be) until enough distinct approvers of
 * the required role approve, or one rejects; an SLA timer can decide automatically or fail the run when it
 * lapses. Decisions are events carrying the actor. Two approvers deciding at the same instant cannot both
 * count: each decision's idempotency key is its ordinal (`approval:<id>:<n>`), so the second writer of the
 * same ordinal is told it was too late.
 */
import type { ApprovalNode } from '@/server/workflows/schema';
import { ConflictError, ForbiddenError, NotFoundError } from '@/server/errors';
import type { Decision } from '../events';
import { timerId } from '../ids';
import type { RunState } from '../run/evolve';
import { decision, failRun, type DecideContext } from './context';

export function approvalId(runId: string, nodeId: string): string {
  return `${runId}:${nodeId}`;
}

export function requestApproval(c: DecideContext, node: ApprovalNode): Decision[] {
  const cfg = node.config;
  const dueAt = cfg.slaMs !== undefined ? new Date(c.now + cfg.slaMs).toISOString() : null;
  const id = approvalId(c.state.runId, node.id);
  const out = [
    decision(c, 'approval.requested', { nodeId: node.id, approvalId: id, role: cfg.role, instructions: cfg.instructions ?? null, dueAt, requiredApprovals: cfg.requiredApprovals, allowRequester: cfg.allowRequester, onLapse: cfg.onLapse }, node.id),
  ];
  if (dueAt) out.push(decision(c, 'timer.scheduled', { timerId: timerId('approvalSla', node.id), nodeId: node.id, dueAt, purpose: 'approvalSla' }, 'sla', node.id));
  return out;
}

export function onLapse(c: DecideContext, node: ApprovalNode): Decision[] {
  const id = approvalId(c.state.runId, node.id);
  const a = c.state.approvals[id];
  if (!a || a.status !== 'pending') return [];
  if (node.config.onLapse === 'fail') return [failRun(c, 'approval.lapsed', `Approval ${node.id} was not decided within its SLA`, node.id)];
  const d = node.config.onLapse === 'approve' ? 'approve' : 'reject';
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
  if (input.actorRoles && !input.actorRoles.includes(a.role) && !input.actorRoles.includes('admin'))
    throw new ForbiddenError('approval.wrong_role', `Deciding this approval needs the role '${a.role}'`, { approvalId: input.approvalId });
  if (!a.allowRequester && input.actor === state.startedBy && input.actor !== 'anonymous')
    throw new ForbiddenError('approval.requester', 'The requester of a run may not approve it', { approvalId: input.approvalId });
  if (a.decisions.some((d) => d.actor === input.actor && input.actor !== 'anonymous'))
    throw new ConflictError('approval.already_decided_by_actor', `${input.actor} has already decided this approval`, { approvalId: input.approvalId });
  const n = a.decisions.length + 1;
  return {
    type: 'approval.decided',
    payload: { nodeId: a.nodeId, approvalId: input.approvalId, decision: input.decision, actor: input.actor, n, ...(input.comment !== undefined && { comment: input.comment }) },
    idempotencyKey: `engine:${state.runId}:approval.decided:approval:${input.approvalId}:${n}`,
    ...(state.key && { key: state.key }),
  };
}
