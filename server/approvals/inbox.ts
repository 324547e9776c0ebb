/**
 * The approvals inbox: the pending approvals with what a person needs to decide one (the run's intent and
 * envelope, the reasoning path so far, what the workflow does on approve and on reject, the deadline) and
 * whether *this* actor may decide it. `whyNot` uses the codes the engine refuses a decision with
 * (server/engine/primitives/approval.ts), so the UI explains a disabled button in the same words as a 403
 * or 409 would. The engine stays the authority: a decision is still validated against the run's fold when
 * it is submitted.
 */
import type { EngineService, PendingApproval } from '@/server/engine';
import { NotFoundError } from '@/server/errors';
import { hasRole, type Actor } from '@/server/auth/roles';
import type { Envelope, Json, Spine } from '@/server/spine';
import { approvalOutcomes, type ApprovalOutcomes } from './outcomes';
import { pathSoFar, type PathStep } from './pathSoFar';

/** Why an actor may not decide an approval; null when they may. */
export type WhyNot =
  | 'auth.forbidden' // does not hold the approver role at all
  | 'approval.wrong_role' // the approval needs another role
  | 'approval.requester' // started the run, and the node does not allow the requester to decide
  | 'approval.already_decided_by_actor' // has already given a decision (four-eyes)
  | 'approval.already_decided' // closed: decided, or the run ended
  | null;

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';
export type Decision = { actor: string; decision: 'approve' | 'reject'; comment?: string; auto?: boolean; at: string };

export type InboxItem = Omit<PendingApproval, 'decisions'> & { decisions: Decision[]; canDecide: boolean; whyNot: WhyNot };
export type Inbox = {
  /** The spine's head when the list was read: live updates resume after it, so nothing falls in between. */
  head: number;
  approvals: InboxItem[];
};

export type ApprovalDetail = {
  approvalId: string;
  nodeId: string;
  label: string;
  role: string;
  instructions: string | null;
  dueAt: string | null;
  onLapse: 'approve' | 'reject' | 'fail' | 'escalate';
  requiredApprovals: number;
  allowRequester: boolean;
  status: ApprovalStatus;
  decisions: Decision[];
  canDecide: boolean;
  whyNot: WhyNot;
  run: {
    id: string; workflowId: string; workflowSlug: string; workflowName: string; version: number;
    status: 'running' | 'completed' | 'failed' | 'cancelled'; intent: string | null; startedBy: string; startedAt: string; input: Json;
  };
  envelope: Envelope;
  path: PathStep[];
  outcomes: ApprovalOutcomes;
};

type Gate = { role: string; status: ApprovalStatus; decisions: readonly { actor: string }[]; allowRequester: boolean; runOpen: boolean; startedBy: string };

/**
 * Whether `actor` may decide an approval, by the same rules the engine applies, in the order it applies them.
 * @example whyNotDecide(auditor, gate) // 'auth.forbidden'
 */
export function whyNotDecide(actor: Actor, g: Gate): WhyNot {
  if (!hasRole(actor, 'approver')) return 'auth.forbidden';
  if (!g.runOpen || g.status !== 'pending') return 'approval.already_decided';
  if (!actor.roles.includes(g.role as never) && !actor.roles.includes('admin')) return 'approval.wrong_role';
  if (!g.allowRequester && actor.name === g.startedBy) return 'approval.requester';
  if (g.decisions.some((d) => d.actor === actor.name)) return 'approval.already_decided_by_actor';
  return null;
}

/** The run id inside an approval id (`<runId>:<nodeId>`). */
export function runIdOf(approvalId: string): string {
  return approvalId.slice(0, Math.max(0, approvalId.lastIndexOf(':')));
}

export function createApprovalInbox(deps: { engine: EngineService; spine: Spine }) {
  const { engine, spine } = deps;

  async function fold(approvalId: string) {
    const runId = runIdOf(approvalId);
    const f = runId ? await engine.engine.fold(runId) : null;
    const a = f?.state.approvals[approvalId];
    if (!f || !a) throw new NotFoundError('approval.not_found', `No approval '${approvalId}'`, { approvalId });
    return { state: f.state, approval: a, node: f.wf.nodes.get(a.nodeId) };
  }

  return {
    /** Every pending approval, each marked with whether `actor` may decide it. */
    async list(actor: Actor): Promise<Inbox> {
      // Read the head first: an approval requested after this point arrives through the live stream.
      const head = await spine.head();
      const pending = await engine.pendingApprovals();
      const approvals: InboxItem[] = [];
      for (const p of pending) {
        // The requester rule depends on the node's `allowRequester`, which only the fold has; fold only then.
        const allowRequester = actor.name === p.startedBy ? (await fold(p.approvalId).catch(() => null))?.approval.allowRequester ?? false : false;
        const whyNot = whyNotDecide(actor, { role: p.role, status: 'pending', decisions: p.decisions, allowRequester, runOpen: true, startedBy: p.startedBy });
        approvals.push({ ...p, canDecide: whyNot === null, whyNot });
      }
      approvals.sort((x, y) => (x.dueAt ?? '~').localeCompare(y.dueAt ?? '~') || x.approvalId.localeCompare(y.approvalId));
      return { head, approvals };
    },

    /** One approval (pending or closed) with its run's context and the workflow's outcomes. */
    async get(approvalId: string, actor: Actor): Promise<ApprovalDetail> {
      const { state, approval: a, node } = await fold(approvalId);
      const [wf, events, envelope] = await Promise.all([
        engine.workflows.getVersion(state.workflowId, state.version),
        engine.engine.runEvents(state.runId),
        spine.envelope(state.runId),
      ]);
      const cfg = node?.kind === 'approval' ? node.config : null;
      const whyNot = whyNotDecide(actor, { ...a, runOpen: state.status === 'running', startedBy: state.startedBy });
      return {
        approvalId, nodeId: a.nodeId, label: node?.label?.trim() || a.nodeId, role: a.role, instructions: cfg?.instructions ?? null, dueAt: a.dueAt,
        onLapse: cfg?.onLapse ?? 'fail', requiredApprovals: a.requiredApprovals, allowRequester: a.allowRequester, status: a.status, decisions: a.decisions,
        canDecide: whyNot === null, whyNot,
        run: {
          id: state.runId, workflowId: state.workflowId, workflowSlug: state.slug, workflowName: wf.name, version: state.version, status: state.status,
          intent: state.intent, startedBy: state.startedBy, startedAt: state.startedAt, input: state.input,
        },
        envelope,
        path: pathSoFar(events, wf.document),
        outcomes: approvalOutcomes(wf.document, a.nodeId),
      };
    },
  };
}
export type ApprovalInbox = ReturnType<typeof createApprovalInbox>;
