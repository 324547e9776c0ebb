/**
 * Evaluations over tRPC, for the `/agents` page's "Evaluate…" form and the evaluation page: start (an
 * operator or an architect), read (anyone signed in), ship or roll back (an architect: they change the
 * agent registry). The work is server/evaluations'; the same calls as `/api/v1/.../evaluations`.
 */
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { ForbiddenError } from '@/server/errors';
import { rolesAllow } from '@/server/auth';
import { AgentName } from '@/server/agents';
import { evaluationsOf } from '@/server/evaluations';
import { authedProcedure, roleProcedure, router, type Context } from '../trpc';

const Id = z.object({ evaluationId: z.string().min(1).max(128) }).strict();
const WorkflowInput = z.object({ workflowId: z.string().min(1).max(128) }).strict();

const evaluations = (ctx: Context) => evaluationsOf(ctx.engine, ctx.spine);

/** An operator or an architect (or admin). */
const operatorOrArchitect = authedProcedure.use(({ ctx, next }) => {
  if (!rolesAllow(ctx.actor.roles, 'operator') && !rolesAllow(ctx.actor.roles, 'architect'))
    throw new ForbiddenError('auth.forbidden', "This needs the 'operator' or 'architect' role", { roles: ['operator', 'architect'], actor: ctx.actor.name });
  return next();
});

export const evaluationsRouter = router({
  /** Starts an evaluation; `{ evaluationId, runs }` at once, the forks run in the background. */
  start: operatorOrArchitect
    .input(z.object({ workflowId: z.string().min(1).max(128), evaluation: z.unknown() }).strict())
    .mutation(({ ctx, input }) => evaluations(ctx).start(input.workflowId, input.evaluation, ctx.actor)),
  get: authedProcedure.input(Id).query(({ ctx, input }) => evaluations(ctx).get(input.evaluationId)),
  /** The published workflows calling an agent (the "Evaluate…" form's choices). */
  workflowsUsing: authedProcedure.input(z.object({ agent: AgentName }).strict()).query(({ ctx, input }) => evaluations(ctx).workflowsUsing(input.agent)),
  list: authedProcedure.input(WorkflowInput).query(({ ctx, input }) => evaluations(ctx).list(input.workflowId)),
  /**
   * The evaluation's events after `lastEventId`, then live (each tracked by its seq): the page reads the
   * evaluation again on each, so its table fills in as forks end, with nothing polling.
   */
  live: authedProcedure
    .input(z.object({ evaluationId: z.string().min(1).max(128), lastEventId: z.string().nullish() }).strict())
    .subscription(async function* ({ ctx, input, signal }) {
      const after = input.lastEventId == null ? undefined : Number(input.lastEventId);
      // Input is parsed and the caller signed in: the last fallible check. From here the stream only yields.
      let lastSent = after ?? 0;
      for await (const e of ctx.spine.subscribe({ key: `evaluation:${input.evaluationId}`, types: ['evaluation.*'], ...(after === undefined ? { fromSeq: 1 } : { after }), signal })) {
        if (e.seq <= lastSent) continue;
        lastSent = e.seq;
        yield tracked(String(e.seq), { seq: e.seq, type: e.type });
      }
    }),
  ship: roleProcedure('architect').input(Id).mutation(({ ctx, input }) => evaluations(ctx).ship(input.evaluationId, ctx.actor)),
  rollBack: roleProcedure('architect').input(Id).mutation(({ ctx, input }) => evaluations(ctx).rollBack(input.evaluationId, ctx.actor)),
});
