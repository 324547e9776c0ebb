/**
 * Approvals over tRPC (`/approvals`): the inbox, one approval with the context to decide it, deciding,
 * and a live stream of what changes the inbox. Reading needs the approver or auditor role (as
 * `GET /api/v1/approvals` does); deciding needs the approver role, and the engine then checks the
 * approval's own rules (its role, the requester rule, one decision per person) and refuses a second
 * decision of the same turn with 409 `approval.already_decided`. Agents' questions (an A2A agent asking
 * for input) are listed to every signed-in person and answered by operators (server/approvals/questions.ts).
 */
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { AnswerInput, createAgentQuestions, createApprovalInbox, InboxQuery } from '@/server/approvals';
import { ApprovalDecisionInput } from '@/server/engine';
import { ForbiddenError } from '@/server/errors';
import { hasRole, type Role } from '@/server/auth/roles';
import { authedProcedure, roleProcedure, router } from '../trpc';

const READERS: readonly Role[] = ['approver', 'auditor'];

/** Approvers and auditors (and admins) may read approvals. */
const readerProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!READERS.some((r) => hasRole(ctx.actor, r)))
    throw new ForbiddenError('auth.forbidden', 'This needs the role approver or auditor', { actor: ctx.actor.name });
  return next();
});

export const ApprovalIdInput = z.object({ approvalId: z.string().min(3).max(300) }).strict();
export const DecideInput = ApprovalDecisionInput.extend({ approvalId: ApprovalIdInput.shape.approvalId }).strict();
export const LiveApprovalsInput = z
  .object({
    /** Resume cursor: the inbox's `head`, then the last tracked seq (httpSubscriptionLink sets it on reconnect). */
    lastEventId: z.string().regex(/^\d{1,15}$/, 'lastEventId is an event seq').nullish(),
  })
  .strict();

/** Events that change the inbox: approvals requested and decided, and runs that end while one waits. */
export const INBOX_EVENT_TYPES = ['approval.requested', 'approval.escalated', 'approval.decided', 'run.failed', 'run.cancelled'];

/** What the inbox is told about each such event: enough to update a card, nothing else of the run. */
export type ApprovalSignal = {
  seq: number;
  type: string;
  runId: string | null;
  approvalId: string | null;
  decision: 'approve' | 'reject' | null;
  actor: string | null;
  comment: string | null;
  time: string;
};

export const approvalsRouter = router({
  /**
   * One page of the pending approvals (search and filters; `cursor` from the previous page's `nextCursor`,
   * so it serves an infinite query), each marked with whether the caller may decide it, and the head to go
   * live from.
   */
  inbox: readerProcedure.input(InboxQuery.default({ limit: 25 })).query(({ ctx, input }) => createApprovalInbox(ctx).list(ctx.actor, input)),

  /** One approval, pending or closed: the run's intent, envelope and reasoning path, and the outcomes. */
  get: readerProcedure.input(ApprovalIdInput).query(({ ctx, input }) => createApprovalInbox(ctx).get(input.approvalId, ctx.actor)),

  /** Approve or reject with an optional comment; recorded as `approval.decided` with the caller's name. */
  decide: roleProcedure('approver')
    .input(DecideInput)
    .mutation(({ ctx, input: { approvalId, ...decision } }) => ctx.engine.decideApproval(approvalId, decision, { kind: ctx.actor.kind, name: ctx.actor.name, roles: ctx.actor.roles })),

  /** The open questions agents asked people (newest first), each marked with whether the caller may answer. */
  questions: authedProcedure.query(({ ctx }) => createAgentQuestions(ctx).open(ctx.actor)),

  /** Answers an agent's question (operators): `task.input_provided`, sent back to the agent. */
  answer: roleProcedure('operator')
    .input(AnswerInput)
    .mutation(({ ctx, input }) => createAgentQuestions(ctx).answer(input, ctx.actor)),

  /** Inbox changes after `lastEventId`, then live, each tracked by its seq. */
  live: readerProcedure.input(LiveApprovalsInput).subscription(async function* ({ ctx, input, signal }) {
    const after = input.lastEventId == null ? undefined : Number(input.lastEventId);
    // Input is parsed and the caller authorized: that was the last fallible check. From here on the
    // stream only yields. spine.subscribe registers for wake-ups before reading the backlog after `after`.
    let lastSent = after ?? 0;
    for await (const e of ctx.spine.subscribe({ types: INBOX_EVENT_TYPES, after, signal })) {
      if (e.seq <= lastSent) continue;
      lastSent = e.seq;
      const p = (e.payload ?? {}) as Record<string, unknown>;
      const s = (v: unknown) => (typeof v === 'string' ? v : null);
      const signalOut: ApprovalSignal = {
        seq: e.seq, type: e.type, runId: e.runId, approvalId: s(p.approvalId), actor: s(p.actor), comment: s(p.comment), time: e.time,
        decision: p.decision === 'approve' || p.decision === 'reject' ? p.decision : null,
      };
      yield tracked(String(e.seq), signalOut);
    }
  }),
});
