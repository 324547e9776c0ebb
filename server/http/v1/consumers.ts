/**
 * `/api/v1/consumers/{name}/...`: durable consumers (server/spine/subscriptions.ts, openConsumer) for free
 * subscribers (choreography): the server keeps the consumer's offset, so a subscriber that restarts resumes
 * after the last event it committed.
 *
 * - `GET  .../stream?types=&key=`: SSE of the matching events after the committed offset (or after
 *   Last-Event-ID when that is further), then live; `id: <seq>` on each.
 * - `POST .../commit { seq }`: everything up to `seq` is handled.
 *
 * Consumer names live in the caller's own namespace (`client:<kind>:<name>:<consumer>`), so no client can
 * move another's offset, nor the engine's. What is streamed is cut to the caller's read scope.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import type { Actor } from '@/server/auth/roles';
import { authorize, readableTypes } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { runtimeServices, type ServicesGetter } from '../services';
import { sseResponse } from '../sse';
import { parseQuery, StreamQuery } from './events';

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'consumer names are letters, digits, dots, dashes and underscores (1 to 100)');
const Seq = z.number().int().min(0).refine(Number.isSafeInteger);
export const CommitBody = z.object({ seq: Seq }).strict();
const Query = StreamQuery.pick({ types: true, key: true });

type Params = { params: Promise<{ name: string }> };

/** The stored name of a client's consumer: in its own namespace. */
export function consumerName(actor: Pick<Actor, 'kind' | 'name'>, name: string): string {
  return `client:${actor.kind}:${actor.name}:${name}`;
}

async function nameOf(ctx: Params): Promise<string> {
  const r = Name.safeParse((await ctx.params).name);
  if (!r.success) throw new ValidationError('request.invalid_id', r.error.issues[0]!.message);
  return r.data;
}

export function consumersApi(services: ServicesGetter = runtimeServices) {
  const stream = withErrorHandling(async (req: Request, ctx: Params) => {
    const svc = await services();
    const actor = await authorize(req, svc, { kind: 'read' });
    const name = await nameOf(ctx);
    const q = parseQuery(Query, new URL(req.url));
    const types = readableTypes(actor, q.types);
    const lastEventId = req.headers.get('last-event-id');
    let after: number | undefined;
    if (lastEventId) {
      const r = z.string().regex(/^\d{1,15}$/).transform(Number).safeParse(lastEventId);
      if (!r.success) throw new ValidationError('request.invalid_last_event_id', 'Last-Event-ID must be a non-negative integer seq');
      after = r.data;
    }
    const abort = new AbortController();
    req.signal.addEventListener('abort', () => abort.abort(), { once: true });
    const stored = consumerName(actor, name);
    const offset = await svc.spine.log.loadOffset(stored);
    const from = Math.max(offset ?? 0, after ?? 0);
    const events = svc.spine.subscribe({ after: from, types, key: q.key, signal: abort.signal });
    // After the last fallible check: from here on the response is a stream and errors end it.
    return sseResponse({ hello: `consumer ${name} after ${from}`, source: events, abort, what: 'consumer stream', message: (e) => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n` });
  });

  const commit = withErrorHandling(async (req: Request, ctx: Params) => {
    const svc = await services();
    const actor = await authorize(req, svc, { kind: 'read' });
    const name = await nameOf(ctx);
    const r = CommitBody.safeParse(await readJsonBody(req, 1024));
    if (!r.success) throw new ValidationError('consumer.invalid', `${r.error.issues[0]!.path.join('.') || 'body'}: ${r.error.issues[0]!.message}`);
    await svc.spine.log.saveOffset(consumerName(actor, name), r.data.seq, {});
    return json({ consumer: name, offset: r.data.seq });
  });

  return { stream, commit };
}
