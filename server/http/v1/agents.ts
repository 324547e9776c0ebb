/**
 * `/api/v1/agents`: the agent registry. Anyone signed in reads (list, one agent, its versions); the
 * architect or admin role registers, changes and removes (each recorded on the log with the caller as its
 * source, see server/agents/registration.ts). Secrets never leave: configs are redacted in every answer,
 * and a PATCH that sends the redacted marker back keeps the stored secret.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { AgentName, createAgentRegistration, publicAgent } from '@/server/agents';
import { authorize, type Need } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';

type NameParams = { params: Promise<{ name: string }> };
const BODY_LIMIT = 256 * 1024;
const CHANGE: Need = { kind: 'role', roles: ['architect'] };
const ListQuery = z.object({ includeRemoved: z.enum(['true', 'false']).optional() }).strict();

async function nameOf(ctx: NameParams): Promise<string> {
  const parsed = AgentName.safeParse((await ctx.params).name);
  if (!parsed.success) throw new ValidationError('request.invalid_id', `agent name: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

export function agentsApi(services: ServicesGetter = runtimeServices) {
  const guard = async (req: Request, need: Need) => {
    const svc = await services();
    const actor = await authorize(req, svc, need);
    const engine = requireEngine(svc);
    return { actor, engine, registration: () => createAgentRegistration({ store: engine.agentStore, registry: engine.agents, spine: svc.spine, outputReaders: engine.agentOutputReaders }) };
  };
  return {
    list: withErrorHandling(async (req: Request) => {
      const { engine } = await guard(req, { kind: 'read' });
      const q = ListQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
      if (!q.success) throw new ValidationError('request.invalid_query', q.error.issues[0]!.message);
      const all = await engine.agentStore.list({ includeRemoved: q.data.includeRemoved === 'true' });
      return json({ agents: all.map(publicAgent) });
    }),
    create: withErrorHandling(async (req: Request) => {
      const { actor, registration } = await guard(req, CHANGE);
      const body = await readJsonBody(req, BODY_LIMIT);
      return json(await registration().register(body, actor), 201);
    }),
    get: withErrorHandling(async (req: Request, ctx: NameParams) => {
      const { engine } = await guard(req, { kind: 'read' });
      return json(publicAgent(await engine.agentStore.get(await nameOf(ctx))));
    }),
    patch: withErrorHandling(async (req: Request, ctx: NameParams) => {
      const { actor, registration } = await guard(req, CHANGE);
      const name = await nameOf(ctx);
      const body = await readJsonBody(req, BODY_LIMIT);
      return json(await registration().change(name, body, actor));
    }),
    remove: withErrorHandling(async (req: Request, ctx: NameParams) => {
      const { actor, registration } = await guard(req, CHANGE);
      return json(await registration().remove(await nameOf(ctx), actor));
    }),
    versions: withErrorHandling(async (req: Request, ctx: NameParams) => {
      const { engine } = await guard(req, { kind: 'read' });
      const name = await nameOf(ctx);
      return json({ name, versions: await engine.agentStore.versions(name) });
    }),
  };
}
