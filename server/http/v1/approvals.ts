/**
 * `/api/v1/approvals`: pending human approvals and decisions on them. A decision is validated against
 * the run's state (still pending, the actor has not decided yet, the requester rule) and recorded as an
 * `approval.decided` event with the actor; a concurrent second decision gets 409.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { authorize } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';
import { parseQuery } from './events';

const ListQuery = z.object({ status: z.enum(['pending']).default('pending') }).strict();

export function approvalsApi(services: ServicesGetter = runtimeServices) {
  return {
    list: withErrorHandling(async (req: Request) => {
      const svc = await services();
      await authorize(req, svc, { kind: 'role', roles: ['approver', 'auditor'] });
      parseQuery(ListQuery, new URL(req.url));
      const engine = requireEngine(svc);
      return json({ approvals: await engine.pendingApprovals() });
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
