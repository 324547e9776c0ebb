/**
 * `/api/v1/runs/{runId}/path/{eventId}`: the reasoning path to one event of a run (by seq or id), the same
 * read model as the run page's path view (server/observability/reasoningPath.ts): every step the event
 * depends on, who did it, what it was given and produced. The path carries the payloads of events of
 * every type the run holds, so a key whose read scope is narrower than every type is refused (403), as
 * for an export, rather than handed a path with holes.
 */
import { z } from 'zod';
import { ForbiddenError, ValidationError } from '@/server/errors';
import { observability } from '@/server/observability';
import { authorize, readsEveryType } from '../auth';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';

const Ref = z.string().min(1).max(128);

export function reasoningPathApi(services: ServicesGetter = runtimeServices) {
  const get = withErrorHandling(async (req: Request, ctx: { params: Promise<{ runId: string; eventId: string }> }) => {
    const svc = await services();
    const actor = await authorize(req, svc, { kind: 'read' });
    if (!readsEveryType(actor)) throw new ForbiddenError('auth.forbidden', 'A reasoning path holds events of every type: this key may read only some');
    const { runId, eventId } = await ctx.params;
    const run = Ref.safeParse(runId);
    const event = Ref.safeParse(eventId);
    if (!run.success || !event.success) throw new ValidationError('request.invalid_id', 'runId and eventId (a seq or an event id) must be 1 to 128 characters');
    return json(await observability({ spine: svc.spine, engine: requireEngine(svc) }).reasoningPath(run.data, decodeURIComponent(event.data)));
  });
  return { get };
}
