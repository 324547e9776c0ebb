/**
 * `POST /api/v1/agents/{name}/keys`: an architect or admin makes an agent key for a registered agent
 * (server/agents/sdk/agentKeys.ts). The response carries the secret, shown once.
 */
import { z } from 'zod';
import { AgentKeyInput, agentKeys } from '@/server/agents';
import { UnavailableError, ValidationError } from '@/server/errors';
import { authorize } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);

export function agentKeysApi(services: ServicesGetter = runtimeServices) {
  const create = withErrorHandling(async (req: Request, ctx: { params: Promise<{ name: string }> }) => {
    const svc = await services();
    const actor = await authorize(req, svc, { kind: 'role', roles: ['architect'] });
    const name = Name.safeParse((await ctx.params).name);
    if (!name.success) throw new ValidationError('request.invalid_id', 'agent names are lower-case letters, digits and dashes');
    if (!svc.auth) throw new UnavailableError('auth.unavailable', 'Agent keys need authentication, which this server does not run');
    const body = await readJsonBody(req, 16 * 1024);
    const keys = agentKeys({ auth: svc.auth, agents: requireEngine(svc).agentStore });
    const parsed = AgentKeyInput.safeParse(body);
    if (!parsed.success) throw new ValidationError('apikey.invalid', `${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}`);
    return json(await keys.create(name.data, parsed.data, actor), 201);
  });
  return { create };
}
