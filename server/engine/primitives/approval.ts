/**
 * approval: a human gate. The run waits (durably, for days if need be) until enough distinct approvers of
 * the required role approve, or one rejects; an SLA timer can decide automatically, fail the run, or
 * escalate when it lapses. Votes are events (`approval.decided`) carrying the actor. Two approvers voting at
 * the same instant cannot both count: each decision's idempotency key is its ordinal (`approval:<id>:<n>`), so the
 * second writer of the same ordinal is told it was too late.
 *
 * Four eyes: with `distinctFrom`, whoever approved one of the named approvals of the run may not decide
 * this one (`approval.four_eyes`, 403). Escalation: `onLapse: 'escalate'` hands the approval to
 * `escalateTo` (`approval.escalated`, with the new role and the time; the inbox shows the new role), with
 * a second SLA if `escalationSlaMs` is set; when that lapses too, the run fails with `approval.lapsed`.
 *
 * A fork that reuses its origin's approvals (run.started `fork.approvals`, an evaluation's forks) decides a
 * request at once as the origin's approver did (`auto`, with no SLA timer): nobody is asked again.
 *
 * Who may vote is one rule, `mayDecide`: the engine refuses a vote by its answer (`submitDecision`), and
 * the approvals inbox shows the same answer beside the button (server/approvals/inbox.ts).
 */
import type { Json } from '@/server/spine';
import type { ApprovalNode } from '@/server/workflows/schema';
import { ConflictError, ForbiddenError, NotFoundError, type SpineError } from '@/server/errors';
import { rolesAllow } from '@/server/auth/roles';
import type { Decision } from '../events';
import { decisionKey, timerId } from '../ids';
import type { Approval, RunState } from '../run/evolve';
import { decision, failRun, type DecideContext } from '../run/decideContext';

export function approvalId(runId: string, nodeId: string): string {
  return `${runId}:${nodeId}`;
}

export function requestApproval(c: DecideContext, node: ApprovalNode): Decision[] {
  const cfg = node.config;
  // A fork that reuses its origin's approvals (run.started `fork.approvals`) decides at once as the origin's approvers did.
  const recorded = c.state.fork?.approvals?.[node.id];
  if (recorded) {
    const id = approvalId(c.state.runId, node.id);
    return [
      decision(c, 'approval.requested', { nodeId: node.id, approvalId: id, role: cfg.role, instructions: cfg.instructions ?? null, dueAt: null, requiredApprovals: cfg.requiredApprovals, allowRequester: cfg.allowRequester, onLapse: cfg.onLapse }, node.id),
      decision(c, 'approval.decided', { nodeId: node.id, approvalId: id, decision: recorded.decision, actor: recorded.actor, comment: `as decided in run ${c.state.fork!.from}`, auto: true, n: 1 }, 'approval', id, 1),
    ];
  }
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

/** Why a voter may not decide an approval, in the order `mayDecide` checks. */
export const VOTE_REFUSALS = [
  'auth.forbidden', // does not hold the approver role at all (checked only at the door, see Voter)
  'approval.already_decided', // closed: decided, or the run ended
  'approval.wrong_role', // the approval needs another role
  'approval.requester', // started the run, and the node does not allow the requester to decide
  'approval.four_eyes', // approved a gate this one must be decided apart from (distinctFrom)
  'approval.already_decided_by_actor', // has voted on this approval already
] as const;
export type VoteRefusalCode = (typeof VOTE_REFUSALS)[number];
export type VoteRefusal = { code: VoteRefusalCode; message: string; details: Record<string, Json> };
export type MayDecide = { ok: true } | ({ ok: false } & VoteRefusal);

/** What the rule reads about one approval: built from a run's fold (`approvalView`) or from the inbox's rows. */
export type ApprovalView = {
  approvalId: string;
  /** The role that decides it now (after an escalation, the new one). */
  role: string;
  status: Approval['status'];
  /** Once the run no longer runs, its approvals are closed. */
  runStatus: RunState['status'];
  allowRequester: boolean;
  /** Who started the run: the requester. */
  startedBy: string;
  /** The votes so far (only who cast them matters here). */
  votes: readonly { actor: string }[];
  /**
   * Four eyes: who approved a gate this one must be decided apart from (`distinctFrom`, automatic votes
   * not counted), with that gate's node id when it is known (it only names the gate in the message).
   */
  excluded: readonly { actor: string; nodeId?: string }[];
};

/** Who asks to vote. */
export type Voter = {
  name: string;
  /** Their roles; absent when the caller did not say (then the approval's role is not checked). */
  roles?: readonly string[];
  /**
   * Also answer for the door: whether they hold the approver role at all (`auth.forbidden`). The transports
   * (HTTP, tRPC) refuse such a caller before the engine is asked, so the engine does not check it (an
   * approval escalated to another role is decided by that role); the inbox, which answers for the whole
   * way to the button, does.
   */
  atTheDoor?: boolean;
};

/** The rule's view of one approval of a run's fold; undefined when the run has no such approval. */
export function approvalView(state: RunState, id: string): ApprovalView | undefined {
  const a = state.approvals[id];
  if (!a) return undefined;
  const excluded = (a.distinctFrom ?? []).flatMap((nodeId) =>
    (state.approvals[approvalId(state.runId, nodeId)]?.decisions ?? []).filter((d) => d.decision === 'approve' && !d.auto).map((d) => ({ actor: d.actor, nodeId })),
  );
  return { approvalId: id, role: a.role, status: a.status, runStatus: state.status, allowRequester: a.allowRequester, startedBy: state.startedBy, votes: a.decisions, excluded };
}

/**
 * The one rule: may `voter` decide approval `a`, and if not, why (the first refusal, in the order of
 * VOTE_REFUSALS). Pure. An anonymous caller is nobody in particular, so the rules about a person (the
 * requester, four eyes, one vote each) do not apply to it.
 * @example mayDecide(approvalView(state, 'run-1:gate')!, { name: 'anna', roles: ['approver'] }) // { ok: true }
 */
export function mayDecide(a: ApprovalView, voter: Voter): MayDecide {
  const refuse = (code: VoteRefusalCode, message: string, more: Record<string, Json> = {}): MayDecide => ({ ok: false, code, message, details: { approvalId: a.approvalId, ...more } });
  const person = voter.name !== 'anonymous';
  if (voter.atTheDoor && !rolesAllow(voter.roles, 'approver')) return refuse('auth.forbidden', 'Deciding an approval needs the role approver');
  if (a.runStatus !== 'running' || a.status !== 'pending')
    return refuse('approval.already_decided', `Approval '${a.approvalId}' is already ${a.status === 'pending' ? `closed (run ${a.runStatus})` : a.status}`);
  if (voter.roles && !rolesAllow(voter.roles, a.role)) return refuse('approval.wrong_role', `Deciding this approval needs the role '${a.role}'`);
  if (person && !a.allowRequester && voter.name === a.startedBy) return refuse('approval.requester', 'The requester of a run may not approve it');
  const earlier = person ? a.excluded.find((e) => e.actor === voter.name) : undefined;
  if (earlier)
    return earlier.nodeId !== undefined
      ? refuse('approval.four_eyes', `${voter.name} approved '${earlier.nodeId}' of this run already: this approval needs a second person (four eyes)`, { distinctFrom: earlier.nodeId })
      : refuse('approval.four_eyes', `${voter.name} approved another gate of this run already: this approval needs a second person (four eyes)`);
  if (person && a.votes.some((v) => v.actor === voter.name)) return refuse('approval.already_decided_by_actor', `${voter.name} has already decided this approval`);
  return { ok: true };
}

/** A refusal as the error a transport answers with: 409 when the approval (or their vote) is closed, else 403. */
export function refusalError(r: VoteRefusal): SpineError {
  return r.code === 'approval.already_decided' || r.code === 'approval.already_decided_by_actor' ? new ConflictError(r.code, r.message, r.details) : new ForbiddenError(r.code, r.message, r.details);
}

/** Checks a person's vote against the run's committed state (`mayDecide`) and builds its event. */
export function submitDecision(
  state: RunState,
  input: { approvalId: string; decision: 'approve' | 'reject'; comment?: string; actor: string; actorRoles?: readonly string[] },
): Decision {
  const view = approvalView(state, input.approvalId);
  if (!view) throw new NotFoundError('approval.not_found', `No approval '${input.approvalId}'`, { approvalId: input.approvalId });
  const may = mayDecide(view, { name: input.actor, ...(input.actorRoles && { roles: input.actorRoles }) });
  if (!may.ok) throw refusalError(may);
  const a = state.approvals[input.approvalId]!;
  const n = a.decisions.length + 1;
  return {
    type: 'approval.decided',
    payload: { nodeId: a.nodeId, approvalId: input.approvalId, decision: input.decision, actor: input.actor, n, ...(input.comment !== undefined && { comment: input.comment }) },
    idempotencyKey: decisionKey(state.runId, 'approval.decided', 'approval', input.approvalId, n),
    ...(state.key && { key: state.key }),
  };
}
