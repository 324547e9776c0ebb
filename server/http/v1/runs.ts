/**
 * `/api/v1/runs/{runId}/envelope`: the run's latest context envelope (intent, constraints, deadline,
 * versioned state, bounded history). The cheap fetch behind every event's `envelopeVersion`.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { authenticate } from '../auth';
import { json, withErrorHandling } from '../errors';
import { runtimeServices, type ServicesGetter } from '../services';

const RunId = z.string().min(1).max(128);
type RouteCtx = { params: Promise<{ runId: string }> };

export function runsApi(services: ServicesGetter = runtimeServices) {
  const envelope = withErrorHandling(async (req: Request, ctx: RouteCtx) => {
    await authenticate(req);
    const parsed = RunId.safeParse((await ctx.params).runId);
    if (!parsed.success) throw new ValidationError('request.invalid_run_id', 'runId must be 1 to 128 characters');
    const { spine } = await services();
    return json(await spine.envelope(parsed.data));
  });
  return { envelope };
}
