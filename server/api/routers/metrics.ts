/**
 * The overview's metrics over tRPC: once, and pushed again after commits (throttled on the server).
 */
import { MetricsInput, observability } from '@/server/observability';
import { authedProcedure, router } from '../trpc';

export const metricsRouter = router({
  overview: authedProcedure.input(MetricsInput).query(({ ctx, input }) => observability(ctx).overview(input)),
  live: authedProcedure.input(MetricsInput).subscription(({ ctx, input, signal }) => observability(ctx).overviewLive(input, signal)),
});
