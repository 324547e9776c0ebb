/**
 * Runs over tRPC: the list (filters, sorting, paging), filter choices, a run's detail (graph states,
 * waterfall, envelope versions, events), its replay check, a comparison with another run, the reasoning path to any of its events, and the operator's
 * actions: cancel a run, retry a failed node, fork it.
 */
import { z } from 'zod';
import { observability, RunListQuery } from '@/server/observability';
import { authedProcedure, roleProcedure, router } from '../trpc';

export const RunIdInput = z.object({ runId: z.string().min(1).max(128) }).strict();
export const PathInput = RunIdInput.extend({ event: z.string().min(1).max(128) }).strict();
export const CancelInput = RunIdInput.extend({ reason: z.string().min(1).max(500).optional() }).strict();
export const RetryNodeInput = RunIdInput.extend({ nodeId: z.string().min(1).max(128) }).strict();
export const CompareInput = z.object({ a: z.string().min(1).max(128), b: z.string().min(1).max(128) }).strict();
export const ForkInput = RunIdInput.extend({ atSeq: z.number().int().min(1), version: z.number().int().min(1).optional(), input: z.unknown().optional(), liveAgents: z.array(z.string().min(1).max(128)).max(100).optional(), allowSideEffects: z.boolean().optional() }).strict();

export const runsRouter = router({
  list: authedProcedure.input(RunListQuery).query(({ ctx, input }) => observability(ctx).runList(input)),
  filters: authedProcedure.query(({ ctx }) => observability(ctx).runFilters()),
  detail: authedProcedure.input(RunIdInput).query(({ ctx, input }) => observability(ctx).runDetail(input.runId)),
  /** Does the run replay identically from its log (server/engine/replay.ts)? */
  replay: authedProcedure.input(RunIdInput).query(({ ctx, input }) => ctx.engine.replayRun(input.runId)),
  /** Two runs side by side, and where they diverge (server/engine/compare.ts). */
  compare: authedProcedure.input(CompareInput).query(({ ctx, input }) => ctx.engine.compareRuns(input.a, input.b)),
  path: authedProcedure.input(PathInput).query(({ ctx, input }) => observability(ctx).reasoningPath(input.runId, input.event)),
  cancel: roleProcedure('operator').input(CancelInput).mutation(({ ctx, input }) => ctx.engine.cancelRun(input.runId, ctx.actor, input.reason)),
  /** Forks the run at one of its events, reusing the recorded agent outputs before it (engine service.forkRun). */
  fork: roleProcedure('operator').input(ForkInput).mutation(({ ctx, input: { runId, ...fork } }) => ctx.engine.forkRun(runId, fork, ctx.actor)),
  retryNode: roleProcedure('operator').input(RetryNodeInput).mutation(({ ctx, input }) => ctx.engine.retryNode(input.runId, input.nodeId, ctx.actor)),
});
