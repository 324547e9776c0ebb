/**
 * The agent registry over tRPC, for the `/agents` page and the designer's agent picker. Anyone signed in
 * reads; the architect role (or admin) registers, changes and removes (server/agents/registration.ts
 * parses, checks and records each as an event with the caller as its source). Only public fields leave the
 * server: configs are redacted, so no secret is ever in an answer.
 */
import { z } from 'zod';
import { a2aSkillsOf, AGENT_KINDS, AgentName, createAgentRegistration, publicAgent } from '@/server/agents';
import { observability } from '@/server/observability';
import { authedProcedure, roleProcedure, router, type Context } from '../trpc';

const NameInput = z.object({ name: AgentName }).strict();

function registrationOf(ctx: Context) {
  return createAgentRegistration({ store: ctx.engine.agentStore, registry: ctx.engine.agents, spine: ctx.spine, outputReaders: ctx.engine.agentOutputReaders });
}

export const agentsRouter = router({
  /** Registered agents by name, without their config (the picker shows name, description and output fields). */
  list: authedProcedure
    .input(z.object({ includeRemoved: z.boolean().default(false) }).strict().optional())
    .query(async ({ ctx, input }) =>
      // Without the config; an a2a agent's skills (from its fetched Agent Card) instead.
      (await ctx.engine.agentStore.list({ includeRemoved: input?.includeRemoved ?? false })).map(publicAgent).map(({ config, ...rest }) => ({ ...rest, skills: rest.kind === 'a2a' ? a2aSkillsOf(config) : [] })),
    ),

  /** The agent kinds this Spine knows (AGENT_KINDS), for the registration form. */
  kinds: authedProcedure.query(() => [...AGENT_KINDS]),

  /** One agent (removed ones too), config redacted. */
  get: authedProcedure.input(NameInput).query(async ({ ctx, input }) => publicAgent(await ctx.engine.agentStore.get(input.name))),

  /** Every version, newest first (config redacted). */
  versions: authedProcedure.input(NameInput).query(({ ctx, input }) => ctx.engine.agentStore.versions(input.name)),

  /** Each registered agent's health over the last hour (server/observability/agentHealth.ts). */
  health: authedProcedure.query(async ({ ctx }) => {
    const agents = (await ctx.engine.agentStore.list()).map((a) => ({ name: a.name, kind: a.kind }));
    // An sdk agent is heard from through its task stream, claims, heartbeats and results (in this process).
    return observability(ctx).agentHealth({ agents, lastHeartbeat: (agent) => ctx.engine.sdkTasks.lastHeartbeat(agent) });
  }),

  /** Registers an agent; the body is checked by registration (unknown kind, bad config or schema: 400). */
  create: roleProcedure('architect')
    .input(z.unknown())
    .mutation(({ ctx, input }) => registrationOf(ctx).register(input, ctx.actor)),

  /** Changes an agent; `patch` as PATCH /api/v1/agents/{name} takes it. */
  update: roleProcedure('architect')
    .input(z.object({ name: AgentName, patch: z.unknown() }).strict())
    .mutation(({ ctx, input }) => registrationOf(ctx).change(input.name, input.patch, ctx.actor)),

  /** Removes an agent (soft). */
  remove: roleProcedure('architect')
    .input(NameInput)
    .mutation(({ ctx, input }) => registrationOf(ctx).remove(input.name, ctx.actor)),
});
