/**
 * The agent registry over tRPC, for the designer's agent picker. Only public fields leave the server:
 * an agent's config may hold endpoints and secrets.
 */
import { authedProcedure, router } from '../trpc';

export const agentsRouter = router({
  /** Registered agents by name: name, kind and description. */
  list: authedProcedure.query(async ({ ctx }) =>
    (await ctx.engine.agentStore.list()).map(({ name, kind, description }) => ({ name, kind, description })),
  ),
});
