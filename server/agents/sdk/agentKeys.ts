/**
 * Agent keys: API keys bound to one agent (`scopes.agent`), made by an architect or admin. Such a key reads
 * no events, starts no runs and carries no role; it may receive only its agent's tasks, post only their
 * results (the agent API checks the binding) and publish only the event types it declares (`publish`,
 * checked by POST /api/v1/events like any key's scope). The secret is shown once, as for every key.
 */
import { z } from 'zod';
import type { Actor, AuthService, PublicApiKey } from '@/server/auth';
import { NotFoundError } from '@/server/errors';
import { TypePattern } from '@/server/spine/events';
import type { AgentStore } from '../store';

export const AgentKeyInput = z
  .object({
    /** Tells the agent's keys apart (one per deployment, say). @default the agent's name */
    label: z.string().trim().min(1).max(60).optional(),
    /** Event types the agent declares it publishes (`ctx.publish`). */
    publish: z.array(TypePattern).max(50).default([]),
  })
  .strict();
export type AgentKeyInput = z.input<typeof AgentKeyInput>;

export function agentKeys(deps: { auth: AuthService; agents: Pick<AgentStore, 'get'> }) {
  const ofAgent = async (agent: string) => (await deps.auth.listKeys()).filter((k) => k.scopes.agent === agent);
  return {
    /** Creates a key for `agent` (which must be registered); the secret is returned once. */
    async create(agent: string, raw: AgentKeyInput, by: Actor): Promise<PublicApiKey & { secret: string }> {
      const input = AgentKeyInput.parse(raw);
      await deps.agents.get(agent);
      const name = input.label ? `${agent}-${input.label}` : agent;
      return deps.auth.createKey({ name, scopes: { publish: input.publish, subscribe: [], startRuns: false, roles: [], agent } }, by);
    },
    list: ofAgent,
    async revoke(agent: string, keyId: string, by: Actor): Promise<PublicApiKey> {
      if (!(await ofAgent(agent)).some((k) => k.id === keyId)) throw new NotFoundError('apikey.not_found', `No API key '${keyId}' for agent '${agent}'`, { keyId, agent });
      return deps.auth.revokeKey(keyId, by);
    },
  };
}
