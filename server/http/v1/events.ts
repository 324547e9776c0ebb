/**
 * `/api/v1/events`: publish (JSON or a structured CloudEvent), read by cursor, and stream by SSE.
 * Every input is parsed (never cast); a bad request gets `{error:{code,message}}` and appends nothing.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { traceContextOf } from '@/server/engine';
import { CLOUDEVENTS_CONTENT_TYPE, fromCloudEvent, newEventId, publishAs, toCloudEvent, type SpineEvent } from '@/server/spine';
import { EventInput, TypePattern } from '@/server/spine/events';
import { authorize, readableTypes } from '../auth';
import { readJsonBody, type ApiRequest } from '../body';
import { asHandler, json, reply, withErrorHandling, withErrorReply } from '../errors';
import { runtimeServices, type ServicesGetter } from '../services';
import { sseResponse } from '../sse';

/** JSON framing around the payload: the body limit is the payload limit plus this. */
const BODY_OVERHEAD_BYTES = 16 * 1024;

const Cursor = z
  .string()
  .regex(/^\d+$/, 'must be a non-negative integer')
  .transform(Number)
  .refine(Number.isSafeInteger, 'too large');

const Types = z
  .string()
  .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
  .pipe(z.array(TypePattern).max(32));

export const ListQuery = z
  .object({
    after: Cursor.default(0),
    limit: z.string().regex(/^\d+$/, 'must be an integer from 1 to 1000').transform(Number).pipe(z.number().int().min(1).max(1000)).default(100),
    types: Types.optional(),
    key: z.string().min(1).max(256).optional(),
    runId: z.string().min(1).max(128).optional(),
    format: z.enum(['spine', 'cloudevents']).default('spine'),
  })
  .strict();

export const StreamQuery = ListQuery.omit({ limit: true });

export function parseQuery<T extends z.ZodType>(schema: T, url: URL): z.infer<T> {
  const raw: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k in raw) throw new ValidationError('request.invalid_query', `query parameter '${k}' given twice`);
    raw[k] = v;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const name = i.path.join('.');
    const message = i.code === 'unrecognized_keys' ? `unknown query parameter(s): ${i.keys.join(', ')}` : `${name}: ${i.message}`;
    throw new ValidationError('request.invalid_query', message, { param: name || undefined });
  }
  return parsed.data;
}

const render = (format: 'spine' | 'cloudevents') => (e: SpineEvent) => (format === 'cloudevents' ? toCloudEvent(e) : e);

export function eventsApi(services: ServicesGetter = runtimeServices) {
  // A hot route (hotRoutes.ts): the node:http adapter calls the reply handler, Next.js the Response one.
  const postReply = withErrorReply(async (req: ApiRequest) => {
    const svc = await services();
    const { spine, maxPayloadBytes } = svc;
    const contentType = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json' && contentType !== CLOUDEVENTS_CONTENT_TYPE)
      return reply({ error: { code: 'request.unsupported_media_type', message: `send application/json or ${CLOUDEVENTS_CONTENT_TYPE}` } }, 415);
    const body = await readJsonBody(req, maxPayloadBytes + BODY_OVERHEAD_BYTES);
    let input: EventInput;
    if (contentType === CLOUDEVENTS_CONTENT_TYPE) input = fromCloudEvent(body);
    else {
      const parsed = EventInput.safeParse(body);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        const message = i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : `${i.path.join('.') || 'body'}: ${i.message}`;
        throw new ValidationError('event.invalid', message, { issues: parsed.error.issues.slice(0, 5) });
      }
      input = parsed.data;
    }
    // After parsing: the type is known, so the publish scope can be checked before anything is stored.
    const actor = await authorize(req, svc, { kind: 'publish', type: input.type });
    // The type's contract (server/contracts): a payload its schema refuses is a 400 naming the path, nothing appended.
    await svc.engine?.schemas.check(input.type, input.payload);
    // Reserved types are refused and the source is the caller, whatever the body says (server/spine/publishing.ts).
    // A `traceparent` (the header, or a CloudEvent's Distributed Tracing extension) goes to the runs this
    // event triggers: keyed by the event's id, chosen before the append.
    const ce = contentType === CLOUDEVENTS_CONTENT_TYPE ? (body as Record<string, unknown>) : null;
    const trace = traceContextOf(req.headers) ?? (ce ? traceContextOf({ get: (name) => (typeof ce[name] === 'string' ? (ce[name] as string) : null) }) : undefined);
    const id = trace && svc.engine ? newEventId() : undefined;
    if (id && trace) svc.engine!.expectTriggerTrace(id, trace);
    const result = await publishAs(spine, actor, input, { id });
    return reply({ seq: result.seq, id: result.id }, result.duplicate ? 200 : 201);
  });
  const post = asHandler(postReply);

  const list = withErrorHandling(async (req: Request) => {
    const svc = await services();
    const actor = await authorize(req, svc, { kind: 'read' });
    const q = parseQuery(ListQuery, new URL(req.url));
    const events = await svc.spine.read({ after: q.after, limit: q.limit, filter: { types: readableTypes(actor, q.types), key: q.key, runId: q.runId } });
    const nextAfter = events.length ? events[events.length - 1]!.seq : q.after;
    return json({ events: events.map(render(q.format)), nextAfter });
  });

  /**
   * Server-Sent Events: `id: <seq>` on every message, so a reconnecting EventSource sends Last-Event-ID
   * and resumes after it. The subscription yields history after the cursor, then live events, with no gap
   * or duplicate at the seam (server/spine/subscriptions.ts).
   */
  const stream = withErrorHandling(async (req: Request) => {
    const svc = await services();
    const actor = await authorize(req, svc, { kind: 'read' });
    const q = parseQuery(StreamQuery, new URL(req.url));
    const types = readableTypes(actor, q.types);
    const lastEventId = req.headers.get('last-event-id');
    let after = q.after;
    if (lastEventId !== null && lastEventId !== '') {
      const parsed = Cursor.safeParse(lastEventId);
      if (!parsed.success) throw new ValidationError('request.invalid_last_event_id', 'Last-Event-ID must be a non-negative integer seq');
      after = Math.max(after, parsed.data);
    }
    const { spine } = svc;
    const abort = new AbortController();
    req.signal.addEventListener('abort', () => abort.abort(), { once: true });
    const events = spine.subscribe({ after, types, key: q.key, runId: q.runId, signal: abort.signal });
    const toWire = render(q.format);
    // After the last fallible check: from here on the response is a stream and errors end it.
    return sseResponse({ hello: `connected after ${after}`, source: events, abort, what: 'event stream', message: (e) => `id: ${e.seq}\ndata: ${JSON.stringify(toWire(e))}\n\n` });
  });

  return { post, list, stream, replies: { post: postReply } };
}
