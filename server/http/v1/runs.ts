/**
 * `/api/v1/workflows/{id}/runs` and `/api/v1/runs/...`: list runs (newest first, filtered, a keyset page at
 * a time from the run list observability keeps), start runs of published workflows, read them (status,
 * node states, output, envelope now or at a version, events, a comparison with another run) and steer them
 * (cancel, patch the context mid-run, retry a failed node, fork). Thin: parse, authenticate, one engine call. What is read is cut to the caller's
 * read scope: a key sees only the run events (and envelope history entries) whose types it may read.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { observability, type RunListRow } from '@/server/observability';
import { RUN_STATUSES, type Envelope, type RunStatus } from '@/server/spine';
import { traceContextOf } from '@/server/engine';
import { authorize, readableType, type Need } from '../auth';
import { readJsonBody, type ApiRequest } from '../body';
import { asHandler, json, reply, withErrorHandling, withErrorReply } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';
import { parseQuery } from './events';

const Id = z.string().min(1).max(128);
type Params<K extends string> = { params: Promise<Record<K, string>> };
const BODY_LIMIT = 512 * 1024;

async function param<K extends string>(ctx: Params<K>, name: K): Promise<string> {
  const v = (await ctx.params)[name];
  const parsed = Id.safeParse(v);
  if (!parsed.success) throw new ValidationError('request.invalid_id', `${name} must be 1 to 128 characters`);
  return parsed.data;
}

/** An envelope with its history cut to the event types the reader may read (the rest counted as omitted). */
function envelopeFor<E extends Envelope | null>(env: E, may: (type: string) => boolean): E {
  if (!env) return env;
  const entries = env.history.entries.filter((h) => may(h.type));
  return { ...env, history: { entries, omitted: env.history.omitted + (env.history.entries.length - entries.length) } };
}

/** Runs per page without `limit`. */
const RUNS_PAGE_SIZE = 50;

/** An ISO 8601 date-time with its zone, or a date alone (its UTC midnight), as epoch ms. */
const Instant = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    // A time needs its zone: without one, the server's local time would decide what it means.
    const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not an ISO 8601 date or date-time with its zone (e.g. 2026-12-03 or 2026-12-03T10:00:00Z)` });
      return z.NEVER;
    }
    return ms;
  });

/** One status or several, comma-separated. */
const Statuses = z
  .string()
  .max(200)
  .transform((v, ctx) => {
    const parts = v.split(',').map((p) => p.trim()).filter(Boolean);
    const bad = parts.find((p) => !(RUN_STATUSES as readonly string[]).includes(p));
    if (bad !== undefined || parts.length === 0) {
      ctx.addIssue({ code: 'custom', message: `'${bad ?? v}' is not a run status (one or several of ${RUN_STATUSES.join(', ')}, comma-separated)` });
      return z.NEVER;
    }
    return parts as RunStatus[];
  });

export const RunsListQuery = z
  .object({
    /** A workflow id or slug. */
    workflow: z.string().min(1).max(128).optional(),
    status: Statuses.optional(),
    /** The entity key the runs were started for. */
    key: z.string().min(1).max(256).optional(),
    startedAfter: Instant.optional(),
    startedBefore: Instant.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(RUNS_PAGE_SIZE),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();

export const EnvelopeQuery = z.object({ version: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() }).strict();

/** The cursor is the start seq of the last run shown (runs started later have higher seqs: a page never shifts). */
const encodeRunCursor = (startedSeq: number) => Buffer.from(JSON.stringify({ s: startedSeq })).toString('base64url');
function decodeRunCursor(cursor: string): number {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && 's' in v && Number.isSafeInteger(v.s) && (v.s as number) > 0) return v.s as number;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('request.invalid_query', 'cursor: not a cursor this list returned (pass nextCursor as it came)', { param: 'cursor' });
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
function runRow(r: RunListRow) {
  return {
    id: r.id, workflow: { id: r.workflowId, slug: r.workflowSlug, name: r.workflowName }, version: r.version, status: r.status, key: r.key, startedBy: r.startedBy,
    startedAt: iso(r.startedAtMs), updatedAt: iso(r.updatedAtMs), endedAt: iso(r.endedAtMs), startedSeq: r.startedSeq, lastSeq: r.lastSeq, waitingOn: r.waitingOn, error: r.error,
  };
}

export function runsApi(services: ServicesGetter = runtimeServices) {
  const guard = async (req: ApiRequest, need: Need) => {
    const svc = await services();
    return { actor: await authorize(req, svc, need), svc };
  };
  const startReply = withErrorReply(async (req: ApiRequest, ctx: Params<'workflowId'>) => {
    const { actor, svc } = await guard(req, { kind: 'startRuns' });
    const workflowId = await param(ctx, 'workflowId');
    const body = await readJsonBody(req, BODY_LIMIT);
    const engine = requireEngine(svc);
    const r = await engine.startRun(workflowId, body, actor, { trace: traceContextOf(req.headers) });
    return reply({ runId: r.runId }, r.duplicate ? 200 : 202);
  });
  const OPERATOR: Need = { kind: 'role', roles: ['operator'] };
  return {
    /** Hot routes (hotRoutes.ts): the node:http adapter calls these, Next.js the Response handlers. */
    replies: { start: startReply },
    /** Newest first; `nextCursor` (null on the last page) is passed back as `cursor`. */
    list: withErrorHandling(async (req: Request) => {
      const { svc } = await guard(req, { kind: 'read' });
      const q = parseQuery(RunsListQuery, new URL(req.url));
      const engine = requireEngine(svc);
      const workflowId = q.workflow === undefined ? undefined : (await engine.workflows.get(q.workflow)).id;
      const page = await observability({ spine: svc.spine, engine }).runList({
        ...(workflowId !== undefined && { workflowId }),
        ...(q.status && { statuses: q.status }),
        ...(q.key !== undefined && { key: q.key }),
        ...(q.startedAfter !== undefined && { startedAfterMs: q.startedAfter }),
        ...(q.startedBefore !== undefined && { startedBeforeMs: q.startedBefore }),
        ...(q.cursor !== undefined && { beforeSeq: decodeRunCursor(q.cursor) }),
        limit: q.limit + 1,
        withTotal: false,
      });
      const rows = page.rows.slice(0, q.limit);
      return json({ runs: rows.map(runRow), nextCursor: page.rows.length > q.limit ? encodeRunCursor(rows[rows.length - 1]!.startedSeq) : null });
    }),
    start: asHandler(startReply),
    get: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, { kind: 'read' });
      const engine = requireEngine(svc);
      const run = await engine.getRun(await param(ctx, 'runId'));
      return json({ ...run, envelope: envelopeFor(run.envelope, readableType(actor)) });
    }),
    // Only the event types the caller's read scope covers (as GET /api/v1/events).
    events: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, { kind: 'read' });
      const runId = await param(ctx, 'runId');
      const engine = requireEngine(svc);
      await engine.getRun(runId);
      const may = readableType(actor);
      return json({ events: (await engine.runEvents(runId)).filter((e) => may(e.type)) });
    }),
    cancel: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, OPERATOR);
      const engine = requireEngine(svc);
      return json(await engine.cancelRun(await param(ctx, 'runId'), actor));
    }),
    context: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, OPERATOR);
      const runId = await param(ctx, 'runId');
      const body = await readJsonBody(req, BODY_LIMIT);
      const engine = requireEngine(svc);
      return json(await engine.patchContext(runId, body, actor));
    }),
    retryNode: withErrorHandling(async (req: Request, ctx: Params<'runId' | 'nodeId'>) => {
      const { actor, svc } = await guard(req, OPERATOR);
      const engine = requireEngine(svc);
      return json(await engine.retryNode(await param(ctx, 'runId'), await param(ctx, 'nodeId'), actor), 202);
    }),
    /** Forks the run at one of its events (operator): 201 `{ runId, forkedFrom, atSeq, reused }` (engine service.forkRun). */
    fork: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, OPERATOR);
      const runId = await param(ctx, 'runId');
      const body = await readJsonBody(req, BODY_LIMIT);
      return json(await requireEngine(svc).forkRun(runId, body, actor), 201);
    }),
    /**
     * Replays the run from its log alone (server/engine/replay.ts): `identical` when every engine decision
     * re-decides as recorded, else the first differing event (its payloads only for a type the caller may read).
     */
    replay: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, { kind: 'read' });
      const v = await requireEngine(svc).replayRun(await param(ctx, 'runId'));
      if (!v.mismatch || readableType(actor)(v.mismatch.type)) return json(v);
      const { recorded: _r, replayed: _p, ...mismatch } = v.mismatch;
      return json({ ...v, mismatch });
    }),
    /**
     * Compares the run with another side by side (server/engine/compare.ts): each path, per node status,
     * output and its diff, decision, timing, tokens and fork reuse, and the first node where they diverge.
     * Only the event types the caller may read are compared.
     */
    compare: withErrorHandling(async (req: Request, ctx: Params<'runId' | 'otherId'>) => {
      const { actor, svc } = await guard(req, { kind: 'read' });
      const runId = await param(ctx, 'runId');
      const otherId = await param(ctx, 'otherId');
      return json(await requireEngine(svc).compareRuns(runId, otherId, readableType(actor)));
    }),
    /** The latest envelope, or with `?version=n` the envelope as it was at version n (`updatedSeq`/`updatedAt`: the event that made it). */
    envelope: withErrorHandling(async (req: Request, ctx: Params<'runId'>) => {
      const { actor, svc } = await guard(req, { kind: 'read' });
      const runId = await param(ctx, 'runId');
      const { version } = parseQuery(EnvelopeQuery, new URL(req.url));
      const env = version === undefined ? await svc.spine.envelope(runId) : await observability({ spine: svc.spine }).envelopeAt(runId, version);
      return json(envelopeFor(env, readableType(actor)));
    }),
  };
}
