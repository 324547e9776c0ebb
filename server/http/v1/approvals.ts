/**
 * `/api/v1/approvals`: pending human approvals, a page at a time (`limit`, then `cursor` = the previous
 * page's `nextCursor`), with search and filters (`q`, `workflow`, `step`, `olderThan` as a duration like
 * `1h`, `assignedToMe`); with `status=decided`, the decisions made, newest first (who, what, when, the
 * comment, the run and the step; filters `workflow`, `step`, `decision`, `decidedBy`, `runId`); and
 * decisions on them. A decision is validated against
 * the run's state (still pending, the actor has not decided yet, the requester rule) and recorded as an
 * `approval.decided` event with the actor; a concurrent second decision gets 409.
 */
import { z } from 'zod';
import { createApprovalInbox, decidedApprovals, DecidedQuery, HISTORY_MAX_PAGE_SIZE, INBOX_MAX_PAGE_SIZE } from '@/server/approvals';
import { ValidationError } from '@/server/errors';
import { parseDuration } from '@/server/workflows/schema';
import { authorize } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';
import { parseQuery } from './events';

/** Without `limit`, a page holds this many (a script that reads everything follows `nextCursor`). */
const API_PAGE_SIZE = 100;

const ListQuery = z
  .object({
    /** `decided` reads the decisions instead (DecidedListQuery). */
    status: z.enum(['pending', 'decided']).default('pending'),
    cursor: z.string().min(1).max(600).optional(),
    limit: z.coerce.number().int().min(1).max(INBOX_MAX_PAGE_SIZE).default(API_PAGE_SIZE),
    q: z.string().max(200).optional(),
    workflow: z.string().min(1).max(128).optional(),
    step: z.string().min(1).max(128).optional(),
    olderThan: z.string().min(1).max(64).optional(),
    assignedToMe: z.enum(['true', 'false']).optional(),
  })
  .strict();

/** The history's query as the URL carries it: `status=decided`, and the limit as text. */
const DecidedListQuery = DecidedQuery.extend({
  status: z.literal('decided'),
  limit: z.coerce.number().int().min(1).max(HISTORY_MAX_PAGE_SIZE).default(API_PAGE_SIZE),
}).strict();

export function approvalsApi(services: ServicesGetter = runtimeServices) {
  return {
    list: withErrorHandling(async (req: Request) => {
      const svc = await services();
      const actor = await authorize(req, svc, { kind: 'role', roles: ['approver', 'auditor'] });
      const url = new URL(req.url);
      const engine = requireEngine(svc);
      if (url.searchParams.get('status') === 'decided') {
        const { status: _status, ...d } = parseQuery(DecidedListQuery, url);
        return json(await decidedApprovals({ engine, spine: svc.spine }, d));
      }
      const q = parseQuery(ListQuery, url);
      const page = await createApprovalInbox({ engine, spine: svc.spine }).list(actor, {
        limit: q.limit,
        ...(q.cursor !== undefined && { cursor: q.cursor }),
        ...(q.q !== undefined && { search: q.q }),
        ...(q.workflow !== undefined && { workflow: q.workflow }),
        ...(q.step !== undefined && { step: q.step }),
        ...(q.olderThan !== undefined && { olderThanMs: parseDuration(q.olderThan) }),
        ...(q.assignedToMe === 'true' && { assignedToMe: true }),
      });
      const { head: _head, ...body } = page;
      return json(body);
    }),
    decide: withErrorHandling(async (req: Request, ctx: { params: Promise<{ approvalId: string }> }) => {
      const svc = await services();
      const actor = await authorize(req, svc, { kind: 'role', roles: ['approver'] });
      const approvalId = decodeURIComponent((await ctx.params).approvalId);
      if (!approvalId || approvalId.length > 300) throw new ValidationError('request.invalid_id', 'approvalId is required');
      const body = await readJsonBody(req, 64 * 1024);
      const engine = requireEngine(svc);
      return json(await engine.decideApproval(approvalId, body, { kind: actor.kind, name: actor.name, roles: actor.roles }));
    }),
  };
}
