/**
 * `/api/v1/workflows/{id}/runs` and `/api/v1/runs/...`: start runs of published workflows, read them
 * (status, node states, output, envelope, events) and steer them (cancel, patch the context mid-run,
 * retry a failed node). Thin: parse, authenticate, one engine call. What is read is cut to the caller's
 * read scope: a key sees only the run events (and envelope history entries) whose types it may read.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import type { Envelope } from '@/server/spine';
import { authorize, readableType, type Need } from '../auth';
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

/** An envelope with its history cut to the event types the reader may read (the rest counted as omitted). */
function envelopeFor<E extends Envelope | null>(env: E, may: (type: string) => boolean): E {
  if (!env) return env;
  const entries = env.history.entries.filter((h) => may(h.type));
  return { ...env, history: { entries, omitted: env.history.omitted + (env.history.entries.length - entries.length) } };
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
      const { actor, svc } = await guard(req, { kind: 'read' });
      const engine = requireEngine(svc);
      const run = await engine.getRun(await param(ctx, 'runId'));
      return json({ ...run, envelope: envelopeFor(run.envelope, readableType(actor)) });
    }),
    // Only the event types the caller's read scope covers (as GET /api/v1/events).
    events: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, { kind: 'read' });
      const runId = await param(ctx, 'runId');
      const engine = requireEngine(svc);
      await engine.getRun(runId);
      const may = readableType(actor);
      return json({ events: (await engine.runEvents(runId)).filter((e) => may(e.type)) });
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
      const { actor, svc } = await guard(req, { kind: 'read' });
      return json(envelopeFor(await svc.spine.envelope(await param(ctx, 'runId')), readableType(actor)));
    }),
  };
}
