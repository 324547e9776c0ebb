/**
 * The event-type schema registry over tRPC (the /schemas page): list, one type with its versions, and
 * registering a new version (architects; a breaking change is refused unless forced). Same service as
 * /api/v1/schemas (server/contracts).
 */
import { z } from 'zod';
import type { Json } from '@/server/spine';
import { authedProcedure, roleProcedure, router } from '../trpc';

export const SchemaTypeInput = z.object({ type: z.string().min(1).max(128), version: z.number().int().min(1).optional() }).strict();
export const SchemaPutInput = z
  .object({ type: z.string().min(1).max(128), schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]), description: z.string().max(2_000).optional(), force: z.boolean().optional() })
  .strict();

export const schemasRouter = router({
  list: authedProcedure.query(({ ctx }) => ctx.engine.schemas.list()),
  get: authedProcedure.input(SchemaTypeInput).query(async ({ ctx, input }) => ({
    ...(await ctx.engine.schemas.get(input.type, input.version)),
    versions: (await ctx.engine.schemas.versions(input.type)).map((v) => ({ version: v.version, registeredAt: v.registeredAt, registeredBy: v.registeredBy, forced: v.forced, description: v.description })),
  })),
  put: roleProcedure('architect')
    .input(SchemaPutInput)
    .mutation(({ ctx, input }) => ctx.engine.schemas.put(input.type, { schema: input.schema as Json, ...(input.description !== undefined && { description: input.description }), ...(input.force && { force: true }) }, ctx.actor)),
});
