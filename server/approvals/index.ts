/**
 * Approvals for people: the inbox (what is pending, whether this actor may decide it, and the context to
 * decide with), and the decisions made (`decidedApprovals`: who, what, when, comment, run and step, newest
 * first, a keyset page at a time). Deciding itself is the engine's (`engine.decideApproval`), and so is the rule for who may
 * decide (`mayDecide`, which `canDecide` / `whyNot` answer with); this module only reads.
 *
 * @example
 * const inbox = createApprovalInbox({ engine, spine });
 * const { head, approvals, nextCursor } = await inbox.list(actor, { limit: 25, workflow: 'procurement' });
 * const next = await inbox.list(actor, { limit: 25, workflow: 'procurement', cursor: nextCursor });
 * const detail = await inbox.get(approvals[0].approvalId, actor);
 */
export { createApprovalInbox, whyNotDecide, runIdOf, matchesInbox, InboxQuery, INBOX_PAGE_SIZE, INBOX_MAX_PAGE_SIZE } from './inbox';
export type { ApprovalInbox, Inbox, InboxItem, InboxFacets, ApprovalDetail, ApprovalStatus, Vote, WhyNot } from './inbox';
export { approvalOutcomes, outcomesAfter, type ApprovalOutcomes, type OutcomeStep } from './outcomes';
export { stepsSoFar, summarize, OUTPUT_SUMMARY_CHARS, type PathStep } from './stepsSoFar';
export { decidedApprovals, DecidedQuery, HISTORY_PAGE_SIZE, HISTORY_MAX_PAGE_SIZE, type DecidedApproval, type DecidedPage } from './history';
export { createAgentQuestions, AnswerInput, type AgentQuestions, type AgentQuestionView } from './questions';
