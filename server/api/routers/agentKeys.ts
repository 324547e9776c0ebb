/**
 * Agent keys over tRPC (the agent page's keys panel): list, create (the secret is returned once) and
 * revoke the keys bound to one agent. Architects and admins (server/agents/sdk/agentKeys.ts).
 */
import { z } from 'zod';
import { AgentKeyInput, agentKeys } from '@/server/agents';
import { requireAuth, roleProcedure, router } from '../trpc';

const AgentName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);
export const AgentKeysListInput = z.object({ agent: AgentName }).strict();
export const AgentKeyCreateInput = AgentKeyInput.extend({ agent: AgentName }).strict();
export const AgentKeyRevokeInput = z.object({ agent: AgentName, keyId: z.string().min(1).max(128) }).strict();

const architectProcedure = roleProcedure('architect');

export const agentKeysRouter = router({
  list: architectProcedure.input(AgentKeysListInput).query(({ ctx, input }) => agentKeys({ auth: requireAuth(ctx.auth), agents: ctx.engine.agentStore }).list(input.agent)),
  create: architectProcedure.input(AgentKeyCreateInput).mutation(({ ctx, input: { agent, ...key } }) => agentKeys({ auth: requireAuth(ctx.auth), agents: ctx.engine.agentStore }).create(agent, key, ctx.actor)),
  revoke: architectProcedure.input(AgentKeyRevokeInput).mutation(({ ctx, input }) => agentKeys({ auth: requireAuth(ctx.auth), agents: ctx.engine.agentStore }).revoke(input.agent, input.keyId, ctx.actor)),
});
