/**
 * `/api/v1/agent/tasks/...`: the agent-facing API an sdk agent process uses with its agent key (a key whose
 * scopes name one agent). It receives that agent's tasks by SSE and holds a lease on each task it claims:
 *
 * - `GET  /api/v1/agent/tasks/stream`: `event: task` for each task dispatched to the agent (id = the seq of
 *   its `task.dispatched`, also the SSE `id`, so Last-Event-ID resumes after a disconnect; `traceparent` /
 *   `tracestate`: the task's span in the run's W3C trace, also in the claimed task), and
 *   `event: cancel` when a task it was offered is cancelled (its run ended, or the attempt timed out).
 *   Without a cursor it starts at the oldest task still on offer to the agent. With `?capacity=n` (and
 *   `holder`, `handles`) the stream claims for its process: while fewer than n of its tasks are open, a task
 *   comes already leased (`claim: { token, leaseMs, expiresAt, task }`), so the process posts no claim; past
 *   n, or for a node it does not handle, the task comes as a bare offer to claim later or leave to others.
 * - `POST /api/v1/agent/tasks/{id}/claim` → `{ token, leaseMs, expiresAt, task }`; 409 when taken.
 * - `POST .../heartbeat`, `.../result`, `.../error` with `{ token }`: 409 `agent_task.lease_lost` when the
 *   token is stale or the lease expired, so a late result of a crashed holder changes nothing.
 *
 * Any Spine process serves it: the lease table is the truth (server/agents/sdk/README.md). Thin: parse,
 * check the key, one board call.
 */
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '@/server/errors';
import type { SpineEvent } from '@/server/spine';
import { Json } from '@/server/spine/events';
import type { Actor } from '@/server/auth/roles';
import { authorize } from '../auth';
import { readJsonBody, type ApiRequest } from '../body';
import { asHandler, json, reply, withErrorHandling, withErrorReply } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';
import { sseResponse } from '../sse';

const BODY_OVERHEAD_BYTES = 16 * 1024;
/** Events a stream opened without a cursor reads back from the head (see the stream's start). */
const FRESH_LOOKBACK = 100;
const STREAM_TYPES = ['task.dispatched', 'task.completed', 'task.failed', 'run.completed', 'run.failed', 'run.cancelled'];

type Params = { params: Promise<{ id: string }> };

const TaskId = z.string().regex(/^\d{1,15}$/, 'task ids are the seq of their task.dispatched').transform(Number);
const Token = z.string().min(8).max(200);
export const ClaimBody = z.object({ holder: z.string().min(1).max(200).optional() }).strict();
export const HeartbeatBody = z.object({ token: Token }).strict();
export const ResultBody = z.object({ token: Token, output: Json }).strict();
export const ErrorBody = z
  .object({
    token: Token,
    message: z.string().max(4000),
    /** Whether another attempt may help (the node's retry policy decides when). @default true */
    retryable: z.boolean().default(true),
    retryAfterMs: z.number().int().min(0).max(86_400_000).optional(),
  })
  .strict();

function parse<T extends z.ZodType>(schema: T, raw: unknown, code: string): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ValidationError(code, i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : `${i.path.join('.') || 'body'}: ${i.message}`);
  }
  return r.data;
}

/** The agent an agent key is bound to; anything else is refused. */
function agentOf(actor: Actor): string {
  const agent = actor.kind === 'apiKey' ? actor.scopes?.agent : undefined;
  if (!agent) throw new ForbiddenError('agent_task.not_agent_key', 'The agent API needs an agent key (POST /api/v1/agents/{name}/keys)');
  return agent;
}

type Payload = { nodeId?: string; attempt?: number; agent?: string; idempotencyKey?: string; errorKind?: string; trace?: { traceparent?: string; tracestate?: string } };

/** `?capacity=&holder=&handles=`: a stream that claims for its process (the SDK sends them). */
const StreamClaims = z.object({
  capacity: z.string().regex(/^\d{1,5}$/, 'capacity is a whole number of tasks').transform(Number).pipe(z.number().int().min(1).max(10_000)).optional(),
  holder: z.string().min(1).max(200).optional(),
  handles: z.string().max(4000).optional(),
});

const globToRegExp = (g: string) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

export function agentTasksApi(services: ServicesGetter = runtimeServices) {
  const guard = async (req: ApiRequest) => {
    const svc = await services();
    const actor = await authorize(req, svc, { kind: 'read' });
    return { svc, actor, agent: agentOf(actor), board: requireEngine(svc).sdkTasks };
  };
  const taskId = async (ctx: Params) => parse(TaskId, (await ctx.params).id, 'request.invalid_id');

  const stream = withErrorHandling(async (req: Request) => {
    const { svc, actor, agent, board } = await guard(req);
    const url = new URL(req.url);
    const cursor = req.headers.get('last-event-id') || url.searchParams.get('after');
    let after: number | undefined;
    if (cursor !== null && cursor !== '') after = parse(z.string().regex(/^\d{1,15}$/).transform(Number), cursor, 'request.invalid_cursor');
    else {
      // The head first, then the rows: a task dispatched in between has its row by the time the stream reads
      // it. A row is written just after its dispatch commits, so a task dispatched just before the head may
      // have none yet: the stream looks back a little (replayed tasks that are taken or closed send nothing).
      const head = await svc.spine.head();
      const oldest = await board.store.oldestOffered(agent);
      after = Math.max(0, Math.min(oldest === null ? head : oldest - 1, head - FRESH_LOOKBACK));
    }
    const claims = parse(StreamClaims, Object.fromEntries(['capacity', 'holder', 'handles'].flatMap((k) => (url.searchParams.has(k) ? [[k, url.searchParams.get(k)]] : []))), 'request.invalid_query');
    const handles = claims.handles ? claims.handles.split(',').filter(Boolean).map(globToRegExp) : null;
    const holder = claims.holder ? `${actor.name}/${claims.holder}` : actor.name;
    const abort = new AbortController();
    req.signal.addEventListener('abort', () => abort.abort(), { once: true });
    const events = svc.spine.subscribe({ ...(after !== undefined && { after }), types: STREAM_TYPES, signal: abort.signal });
    /** Tasks this stream offered that are still open, by (run, node, attempt); `claimed` when it leased them itself. */
    const open = new Map<string, { id: number; runId: string; key: string; claimed: boolean }>();
    let inHand = 0;
    const slot = (runId: string | null | undefined, p: Payload) => `${runId}\u0000${p.nodeId}\u0000${p.attempt}`;
    /** Takes the task's lease for this stream's process when it has room and serves the node; null to offer it bare. */
    const claimFor = async (e: SpineEvent, p: Payload) => {
      if (claims.capacity === undefined || inHand >= claims.capacity) return null;
      if (handles && !handles.some((r) => r.test(p.nodeId ?? ''))) return null;
      try {
        return await board.claim(e.seq, agent, holder);
      } catch (err) {
        // Taken by another process (or by this one's claim endpoint), or not on offer: nothing to send.
        if (err instanceof ConflictError || err instanceof NotFoundError) return 'gone' as const;
        console.error(`spine: agent task stream could not claim task ${e.seq}`, err);
        return null;
      }
    };
    const message = async (e: SpineEvent): Promise<string | null> => {
      const p = (e.payload ?? {}) as Payload;
      if (e.type === 'task.dispatched') {
        if (p.agent !== agent || !p.idempotencyKey || !e.runId) return null;
        const claim = await claimFor(e, p);
        if (claim === 'gone') return null;
        if (claim) inHand++;
        open.set(slot(e.runId, p), { id: e.seq, runId: e.runId, key: p.idempotencyKey, claimed: claim !== null });
        const trace = p.trace?.traceparent ? { traceparent: p.trace.traceparent, ...(p.trace.tracestate && { tracestate: p.trace.tracestate }) } : {};
        return `event: task\nid: ${e.seq}\ndata: ${JSON.stringify({ id: e.seq, eventId: e.id, key: p.idempotencyKey, runId: e.runId, nodeId: p.nodeId, attempt: p.attempt, ...trace, ...(claim && { claim }) })}\n\n`;
      }
      if (e.type === 'task.completed' || e.type === 'task.failed') {
        const t = open.get(slot(e.runId, p));
        if (!t) return null;
        open.delete(slot(e.runId, p));
        if (t.claimed) inHand--;
        return e.type === 'task.failed' && p.errorKind === 'timeout' ? `event: cancel\nid: ${e.seq}\ndata: ${JSON.stringify({ id: t.id, key: t.key, reason: 'timeout' })}\n\n` : null;
      }
      // The run ended: every task of it this stream offered is cancelled.
      let out = '';
      for (const [s, t] of open) {
        if (t.runId !== e.runId) continue;
        open.delete(s);
        if (t.claimed) inHand--;
        out += `event: cancel\nid: ${e.seq}\ndata: ${JSON.stringify({ id: t.id, key: t.key, reason: e.type })}\n\n`;
      }
      return out || null;
    };
    // After the last fallible check: from here on the response is a stream and errors end it.
    let disconnected = () => {};
    return sseResponse({
      hello: `agent ${agent}, after ${after ?? 'head'}`, source: events, abort, what: 'agent task stream', message,
      onOpen: () => (disconnected = board.connected(agent)),
      onClose: () => disconnected(),
    });
  });

  const claimReply = withErrorReply(async (req: ApiRequest, ctx: Params) => {
    const { actor, agent, board } = await guard(req);
    const id = await taskId(ctx);
    const body = parse(ClaimBody, req.headers.get('content-length') === '0' ? {} : await readJsonBody(req, 4096), 'agent_task.invalid');
    return reply(await board.claim(id, agent, body.holder ? `${actor.name}/${body.holder}` : actor.name));
  });

  const heartbeatReply = withErrorReply(async (req: ApiRequest, ctx: Params) => {
    const { agent, board } = await guard(req);
    const id = await taskId(ctx);
    const body = parse(HeartbeatBody, await readJsonBody(req, 4096), 'agent_task.invalid');
    return reply(await board.heartbeat(id, agent, body.token));
  });

  const resultReply = withErrorReply(async (req: ApiRequest, ctx: Params) => {
    const { svc, agent, board } = await guard(req);
    const id = await taskId(ctx);
    const body = parse(ResultBody, await readJsonBody(req, svc.maxPayloadBytes + BODY_OVERHEAD_BYTES), 'agent_task.invalid');
    await board.close(id, agent, body.token, { ok: true, output: body.output });
    await engineTurn();
    return reply({ accepted: true });
  });

  const taskErrorReply = withErrorReply(async (req: ApiRequest, ctx: Params) => {
    const { agent, board } = await guard(req);
    const id = await taskId(ctx);
    const body = parse(ErrorBody, await readJsonBody(req, 16 * 1024), 'agent_task.invalid');
    await board.close(id, agent, body.token, { ok: false, message: body.message, retryable: body.retryable, ...(body.retryAfterMs !== undefined && { retryAfterMs: body.retryAfterMs }) });
    await engineTurn();
    return reply({ accepted: true });
  });

  // Hot routes (hotRoutes.ts): the node:http adapter calls the reply handlers, Next.js the Response ones.
  const claim = asHandler(claimReply);
  const heartbeat = asHandler(heartbeatReply);
  const result = asHandler(resultReply);
  const error = asHandler(taskErrorReply);

  return { stream, claim, heartbeat, result, error, replies: { claim: claimReply, heartbeat: heartbeatReply, result: resultReply, error: taskErrorReply } };
}

/**
 * Closing the lease woke the engine waiting on it (in this process), and its step has queued the result's
 * append for the next group commit (a `setImmediate`). Answering after that turn lets the commit go before
 * this response is written rather than after it: the run moves on ~0.1 ms sooner (bench:sdk), and the
 * agent's acknowledgement waits for it by as much. The result is durable either way (the lease row holds it).
 */
function engineTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
