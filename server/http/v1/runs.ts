/**
 * `/api/v1/workflows/{id}/runs` and `/api/v1/runs/...`: start runs of published workflows, read them
 * (status, node states, output, envelope, events) and steer them (cancel, patch the context mid-run,
 * retry a failed node). Thin: parse, authenticate, one engine call.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { authorize, type Need } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';

const Id = z.string().min(1).max(128);
type Params<K extends string> = { params: Promise<Record<K, string>> };
const BODY_LIMIT = 512 * 1024;

async function param<K extends string>(ctx: Params<K>, name: K): Promise<string> {
  const v = (await ctx.params)[name];
  const parsed = Id.safeParse(v);
  if (!parsed.success) throw new ValidationError('request.invalid_id', `${name} must be 1 to 128 characters`);
  return parsed.data;
}

export function runsApi(services: ServicesGetter = runtimeServices) {
  const guard = async (req: Request, need: Need) => {
    const svc = await services();
    return { actor: await authorize(req, svc, need), svc };
  };
  const OPERATOR: Need = { kind: 'role', roles: ['operator'] };
  return {
    start: withErrorHandling(async (req: Request, ctx: Params<'workflowId'>) => {
      const { actor, svc } = await guard(req, { kind: 'startRuns' });
      const workflowId = await param(ctx, 'workflowId');
      const body = await readJsonBody(req, BODY_LIMIT);
      const engine = requireEngine(svc);
      const r = await engine.startRun(workflowId, body, actor);
      return json({ runId: r.runId }, r.duplicate ? 200 : 202);
    }),
    get: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { svc } = await guard(req, { kind: 'read' });
      const engine = requireEngine(svc);
      return json(await engine.getRun(await param(ctx, 'runId')));
    }),
    events: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { svc } = await guard(req, { kind: 'read' });
      const runId = await param(ctx, 'runId');
      const engine = requireEngine(svc);
      await engine.getRun(runId);
      return json({ events: await engine.engine.runEvents(runId) });
    }),
    cancel: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, OPERATOR);
      const engine = requireEngine(svc);
      return json(await engine.cancelRun(await param(ctx, 'runId'), actor));
    }),
    context: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, OPERATOR);
      const runId = await param(ctx, 'runId');
      const body = await readJsonBody(req, BODY_LIMIT);
      const engine = requireEngine(svc);
      return json(await engine.patchContext(runId, body, actor));
    }),
    retryNode: withErrorHandling(async (req: Request, ctx: Params<'runId' | 'nodeId'>) => {
      const { actor, svc } = await guard(req, OPERATOR);
      const engine = requireEngine(svc);
      return json(await engine.retryNode(await param(ctx, 'runId'), await param(ctx, 'nodeId'), actor), 202);
    }),
    envelope: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { svc } = await guard(req, { kind: 'read' });
      return json(await svc.spine.envelope(await param(ctx, 'runId')));
    }),
  };
}
