/**
 * The one tRPC setup file, read top to bottom:
 *
 * 1. CONTEXT: what every procedure sees (`ctx.actor` and the services: `ctx.spine`, `ctx.engine`, `ctx.db`,
 *    `ctx.auth`, `ctx.audit`). Routers take all of it from here, never from `@/server/runtime` or
 *    `@/server/db/*` (the lint holds it).
 * 2. INITIALIZATION: tRPC itself, server-sent-event keep-alive and the error formatter.
 * 3. ERRORS: the one place a SpineError becomes a tRPC error (`{ error: { code, message } }` in `data`), with
 *    the HTTP status of `ERROR_STATUS` (server/errors.ts), as /api/v1 answers it.
 * 4. PROCEDURES: `publicProcedure`, `authedProcedure`, `roleProcedure(role)`. Routers pick one of these;
 *    authorization is never done inside a resolver.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ForbiddenError, isSpineError, UnauthenticatedError, UnavailableError, type ErrorStatus, type SpineError } from '@/server/errors';
import { getRuntime, type Runtime } from '@/server/runtime';
import type { Db } from '@/server/db';
import type { Spine } from '@/server/spine';
import { traceContextOf, type EngineService, type TraceContext } from '@/server/engine';
import { hasRole, type Actor, type Role } from './actor';
import { isSameOrigin, type AuthService } from '@/server/auth';
import { auditFor, type Audit } from '@/server/audit';

/* ---------------------------------------------------------------------------------------------------
 * 1. CONTEXT
 * ------------------------------------------------------------------------------------------------- */

/**
 * Long-lived services a procedure may call. Routers make one call on one of these and return. The
 * runtime always provides all of them; a test context may leave out `db` and `auth` when the procedures it
 * calls do not use them (those that do answer 503, see `requireDb` and `requireAuth`), and `audit` (then
 * the audit service of its spine is used, see `auditOf`).
 */
export type Services = { spine: Spine; engine: EngineService; db?: Db; auth?: AuthService; audit?: Audit };

/** The services of the process runtime, as every request's context carries them. */
export function servicesOf(rt: Pick<Runtime, 'spine' | 'engine' | 'db' | 'auth' | 'audit'>): Services {
  return { spine: rt.spine, engine: rt.engine, db: rt.db, auth: rt.auth, audit: rt.audit };
}

/**
 * The context without a request: tests build it directly.
 * @example const caller = createCaller(createContextInner({ actor: LOCAL_OPERATOR, services: { spine } }));
 */
export function createContextInner(opts: { actor: Actor | null; services: Services; trace?: TraceContext }) {
  return { actor: opts.actor, ...opts.services, ...(opts.trace && { trace: opts.trace }) };
}
export type Context = ReturnType<typeof createContextInner>;

/** The database from the context; a context built without one (a bare test context) cannot serve this. */
export function requireDb(db: Db | undefined): Db {
  if (!db) throw new UnavailableError('db.unavailable', 'No database is configured in this context');
  return db;
}

/** The audit service from the context, or (a test context without one) the one of its spine. */
export function auditOf(ctx: { spine: Spine; audit?: Audit }): Audit {
  return ctx.audit ?? auditFor(ctx.spine);
}

/** The auth service from the context; a context without one (a bare test context) cannot serve people. */
export function requireAuth(auth: AuthService | undefined): AuthService {
  if (!auth) throw new UnavailableError('auth.unavailable', 'Authentication is not configured');
  return auth;
}

/** The context of one HTTP request (`app/api/trpc/[trpc]/route.ts`). */
export async function createContext(opts: { req: Request }): Promise<Context> {
  const rt = await getRuntime();
  // ── AUTH: the session cookie (browser) or `Authorization: Bearer` (scripts, keys). ──────────────────
  // Cookie-authenticated mutations must come from this origin (CSRF); queries and subscriptions are reads.
  let actor: Actor | null = await rt.auth.authenticate(opts.req);
  if (actor && opts.req.method === 'POST' && !opts.req.headers.get('authorization') && !isSameOrigin(opts.req)) actor = null;
  // ── TRACE: a request's W3C `traceparent` (a run it starts joins that trace). ──────────────────────────
  const trace = traceContextOf(opts.req.headers);
  return createContextInner({ actor, services: servicesOf(rt), ...(trace && { trace }) });
}

/* ---------------------------------------------------------------------------------------------------
 * 2. INITIALIZATION
 * ------------------------------------------------------------------------------------------------- */

const t = initTRPC.context<Context>().create({
  isDev: process.env.NODE_ENV === 'development',
  sse: {
    // Pings keep idle live views open through proxies; a client that hears nothing for longer than
    // reconnectAfterInactivityMs reconnects and resumes from its last event id.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error }) {
    const spine = isSpineError(error.cause) ? error.cause : null;
    const httpStatus = spine?.httpStatus ?? shape.data.httpStatus;
    const hidden = httpStatus >= 500;
    if (hidden) console.error(`[trpc] ${shape.data.path ?? '?'}:`, error.cause ?? error);
    const issues = error.cause instanceof z.ZodError ? error.cause.issues : null;
    const code = spine?.code ?? (issues ? 'input.invalid' : hidden ? 'internal.error' : `request.${shape.data.code.toLowerCase()}`);
    const message = hidden ? 'Internal server error' : issues ? describeIssue(issues[0]) : (spine?.message ?? shape.message);
    return {
      ...shape,
      message,
      data: {
        code: spine ? trpcCodeFor(spine.httpStatus) : shape.data.code,
        httpStatus,
        path: shape.data.path,
        // A refusal's details (e.g. the places a breaking schema change breaks), as /api/v1 sends them.
        error: { code, message, ...(!hidden && spine?.details !== undefined && JSON.stringify(spine.details).length < 4000 && { details: spine.details }) },
        ...(hidden ? {} : { issues }),
      },
    };
  },
});

/** Builds a server-side caller: `createCallerFactory(appRouter)(ctx)`. */
export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/* ---------------------------------------------------------------------------------------------------
 * 3. ERRORS
 * ------------------------------------------------------------------------------------------------- */

type TrpcCode = TRPCError['code'];

/**
 * The tRPC code for each status of `ERROR_STATUS` (server/errors.ts), the one table both transports map
 * through: tRPC answers each of these codes with that same HTTP status. Total over the table, so a status
 * added there without a code here does not compile.
 */
const TRPC_CODE: Record<ErrorStatus, TrpcCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/** The tRPC code of a SpineError's status (a status outside the table, from an untyped caller, is a 500). */
function trpcCodeFor(httpStatus: number): TrpcCode {
  return TRPC_CODE[httpStatus as ErrorStatus] ?? 'INTERNAL_SERVER_ERROR';
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'Invalid input';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/**
 * Gives a thrown SpineError its own tRPC code (and so its HTTP status). Routers never catch and rethrow:
 * they let SpineErrors fly and this maps them. Errors raised while a subscription streams are past this
 * point; the formatter above still reports their SpineError code and hides 5xx messages.
 */
const spineErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isSpineError(result.error.cause)) {
    const cause: SpineError = result.error.cause;
    throw new TRPCError({ code: trpcCodeFor(cause.httpStatus), message: cause.message, cause });
  }
  return result;
});

/* ---------------------------------------------------------------------------------------------------
 * 4. PROCEDURES
 * ------------------------------------------------------------------------------------------------- */

/** Anyone may call it. */
export const publicProcedure = t.procedure.use(spineErrors);

/** The caller is a known actor; `ctx.actor` is non-null. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.actor) throw new UnauthenticatedError('auth.unauthenticated', 'Sign in to continue');
  // The dashboard's views (timeline, runs, paths, audit) show every event type: a key whose read scope is
  // narrower reads through /api/v1, which filters by it, never through here.
  if (ctx.actor.kind === 'apiKey' && !hasRole(ctx.actor, 'admin') && !(ctx.actor.scopes?.subscribe ?? []).includes('*'))
    throw new ForbiddenError('auth.key_scope', "This key may read only some event types; use /api/v1, which filters what it returns by the key's scope", { actor: ctx.actor.name });
  return next({ ctx: { actor: ctx.actor } });
});

/**
 * The caller holds `role`.
 * @example cancel: roleProcedure('operator').input(RunIdInput).mutation(({ ctx, input }) => ...)
 */
export function roleProcedure(role: Role) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!hasRole(ctx.actor, role))
      throw new ForbiddenError('auth.forbidden', `This needs the '${role}' role`, { role, actor: ctx.actor.name });
    return next();
  });
}
