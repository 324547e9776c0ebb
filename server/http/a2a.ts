/**
 * A2A over HTTP: Spine's Agent Card (`/.well-known/agent-card.json`, every exposed workflow a skill), each
 * exposed workflow's card (`/api/a2a/{workflowId}/agent-card.json`) and JSON-RPC endpoint
 * (`/api/a2a/{workflowId}`, and `/api/a2a` choosing the workflow by `metadata.skill`). Cards are public;
 * the endpoints need `Authorization: Bearer <API key>` of a key allowed to start runs (as the cards'
 * security schemes say), whose principal starts the run. A workflow that is not exposed, not published or
 * archived is 404 `a2a.not_exposed`. Thin: authenticate, find the workflow, hand the request to server/a2a.
 */
import { z } from 'zod';
import { a2aHandlerOf, serveA2aJsonRpc, spineCard, SpineCallContext, workflowCard } from '@/server/a2a';
import type { EngineService } from '@/server/engine';
import { NotFoundError, ValidationError } from '@/server/errors';
import type { WorkflowSummary } from '@/server/workflows';
import { authorize } from './auth';
import { json, withErrorHandling } from './errors';
import { requireEngine, runtimeServices, type ServicesGetter } from './services';

type Params = { params: Promise<{ workflowId: string }> };
const Id = z.string().min(1).max(128);

async function exposedWorkflow(engine: EngineService, ctx: Params): Promise<WorkflowSummary> {
  const parsed = Id.safeParse((await ctx.params).workflowId);
  if (!parsed.success) throw new ValidationError('request.invalid_id', 'workflowId must be 1 to 128 characters');
  const w = await engine.workflows.get(parsed.data).catch(() => undefined);
  if (!w || !w.a2aExposed || w.archived || w.publishedVersion === null)
    throw new NotFoundError('a2a.not_exposed', `No workflow '${parsed.data}' is exposed over A2A`, { workflowId: parsed.data });
  const { draft: _draft, ...summary } = w;
  return summary;
}

const originOf = (req: Request) => new URL(req.url).origin;

export function a2aApi(services: ServicesGetter = runtimeServices) {
  const endpoint = (byPath: boolean) =>
    withErrorHandling(async (req: Request, ctx: Params) => {
      const svc = await services();
      const actor = await authorize(req, svc, { kind: 'startRuns' });
      const engine = requireEngine(svc);
      const w = byPath ? await exposedWorkflow(engine, ctx) : undefined;
      // After the last check that answers with a Spine error: from here the SDK answers in JSON-RPC.
      return serveA2aJsonRpc(a2aHandlerOf(engine, svc.spine), req, new SpineCallContext(actor, w, () => engine.workflows.a2aExposed()));
    });
  return {
    /** Spine's own card: every exposed workflow as a skill. */
    spineCard: withErrorHandling(async (req: Request) => {
      const engine = requireEngine(await services());
      return json(spineCard(await engine.workflows.a2aExposed(), originOf(req)));
    }),
    /** One exposed workflow's card. */
    workflowCard: withErrorHandling(async (req: Request, ctx: Params) => {
      const engine = requireEngine(await services());
      return json(workflowCard(await exposedWorkflow(engine, ctx), originOf(req)));
    }),
    /** JSON-RPC for one exposed workflow. */
    rpc: endpoint(true),
    /** JSON-RPC at `/api/a2a`: the workflow named by `message.metadata.skill`. */
    rootRpc: endpoint(false),
  };
}
