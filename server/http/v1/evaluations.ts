/**
 * `/api/v1/.../evaluations`: evaluating a candidate agent version on a workflow's latest completed runs
 * (server/evaluations). An operator or architect starts one (`POST /workflows/{id}/evaluations`, 202 with
 * its id: the forks run in the background); anyone signed in reads them (one, or a workflow's list); an
 * architect ships or rolls back once it has ended (they change the agent registry). Each step is recorded
 * as an `evaluation.*` event with the caller as its source.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { evaluationsOf } from '@/server/evaluations';
import { authorize, type Need } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';

const Id = z.string().min(1).max(128);
type Params<K extends string> = { params: Promise<Record<K, string>> };
const BODY_LIMIT = 64 * 1024;
const START: Need = { kind: 'role', roles: ['operator', 'architect'] };
const DECIDE: Need = { kind: 'role', roles: ['architect'] };

async function param<K extends string>(ctx: Params<K>, name: K): Promise<string> {
  const parsed = Id.safeParse((await ctx.params)[name]);
  if (!parsed.success) throw new ValidationError('request.invalid_id', `${name} must be 1 to 128 characters`);
  return parsed.data;
}

export function evaluationsApi(services: ServicesGetter = runtimeServices) {
  const guard = async (req: Request, need: Need) => {
    const svc = await services();
    const actor = await authorize(req, svc, need);
    return { actor, evaluations: evaluationsOf(requireEngine(svc), svc.spine) };
  };
  return {
    /** Starts an evaluation: 202 `{ evaluationId, runs }`. */
    start: withErrorHandling(async (req: Request, ctx: Params<'workflowId'>) => {
      const { actor, evaluations } = await guard(req, START);
      const workflowId = await param(ctx, 'workflowId');
      return json(await evaluations.start(workflowId, await readJsonBody(req, BODY_LIMIT), actor), 202);
    }),
    /** A workflow's evaluations, newest first (summaries, no rows). */
    list: withErrorHandling(async (req: Request, ctx: Params<'workflowId'>) => {
      const { evaluations } = await guard(req, { kind: 'read' });
      return json({ evaluations: await evaluations.list(await param(ctx, 'workflowId')) });
    }),
    get: withErrorHandling(async (req: Request, ctx: Params<'evaluationId'>) => {
      const { evaluations } = await guard(req, { kind: 'read' });
      return json(await evaluations.get(await param(ctx, 'evaluationId')));
    }),
    ship: withErrorHandling(async (req: Request, ctx: Params<'evaluationId'>) => {
      const { actor, evaluations } = await guard(req, DECIDE);
      return json(await evaluations.ship(await param(ctx, 'evaluationId'), actor));
    }),
    rollBack: withErrorHandling(async (req: Request, ctx: Params<'evaluationId'>) => {
      const { actor, evaluations } = await guard(req, DECIDE);
      return json(await evaluations.rollBack(await param(ctx, 'evaluationId'), actor));
    }),
  };
}
