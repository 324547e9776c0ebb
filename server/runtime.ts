/**
 * The process-wide Spine runtime: one spine (log, subscriptions), one Prisma client and one engine per
 * process, shared by the custom server, route handlers and tRPC. Next.js bundles route handlers separately
 * from scripts/serve.ts, so the instance lives on `globalThis`: whichever side asks first opens it,
 * everyone else gets the same one.
 *
 * Start-up order: migrate + open the spine → the audit service (it signs checkpoints from boot on: the
 * first at the first commit, then every SPINE_AUDIT_CHECKPOINT_EVENTS events or SPINE_AUDIT_CHECKPOINT_MS,
 * whether or not anyone opens the audit pages) → Prisma → engine (recovers active runs from the log, then
 * follows the spine) → OpenTelemetry export (only when OTEL_EXPORTER_OTLP_ENDPOINT is set) → seed (the builtin agents and the five demo workflows, unless SPINE_SEED=0). The demo
 * event publisher (SPINE_DEMO) is started by scripts/serve.ts.
 */
import { auditOptionsFromEnv, openAudit, type Audit } from './audit';
import { createDb, type Db } from './db';
import { createAuthService, type AuthService } from './auth';
import { env } from './env';
import { startEngine, type EngineService } from './engine';
import { seedDemo } from './demo';
import { openSpine, type Spine } from './spine';
import { startTracing } from './observability';

export type Runtime = {
  spine: Spine;
  db: Db;
  engine: EngineService;
  auth: AuthService;
  /** The audit service (signing key, checkpointer), started at boot; `auditFor(spine)` returns it. */
  audit: Audit;
  config: { maxPayloadBytes: number; databaseUrl: string; demo: boolean };
  close(): Promise<void>;
};

const KEY = Symbol.for('spine.runtime');
type Holder = { [KEY]?: Promise<Runtime> };

export function getRuntime(): Promise<Runtime> {
  const g = globalThis as Holder;
  g[KEY] ??= startRuntime().catch((e) => {
    delete g[KEY];
    throw e;
  });
  return g[KEY];
}

async function startRuntime(): Promise<Runtime> {
  const e = env();
  const spine = await openSpine({ databaseUrl: e.DATABASE_URL, maxPayloadBytes: e.SPINE_MAX_PAYLOAD_BYTES, inlinePayloadBytes: e.SPINE_INLINE_PAYLOAD_BYTES, synchronous: e.SPINE_SQLITE_SYNCHRONOUS, sqliteWriter: e.SPINE_SQLITE_WRITER });
  // Before the engine and the seed commit anything: the checkpointer follows commits from the first one.
  const audit = openAudit(spine, auditOptionsFromEnv(process.env, spine));
  const db = createDb(e.DATABASE_URL);
  const engine = await startEngine({ spine, db, databaseUrl: e.DATABASE_URL });
  // OpenTelemetry export of runs as traces and metrics, when OTEL_EXPORTER_OTLP_ENDPOINT (or a per-signal endpoint) is set.
  // Only the process leading the engine exports (one instance at a time on PostgreSQL), so a span is sent once.
  let leading = false;
  void engine.leading().then(() => (leading = true));
  const tracing = await startTracing({ spine, active: () => leading });
  if (e.SPINE_SEED) await seedDemo(engine, { llm: e.SPINE_OPENAI_BASE_URL ? { baseUrl: e.SPINE_OPENAI_BASE_URL, model: e.SPINE_OPENAI_MODEL, ...(e.SPINE_OPENAI_API_KEY && { apiKey: e.SPINE_OPENAI_API_KEY }) } : null });
  const auth = createAuthService({ db, spine });
  // Revoked keys leave the key cache when their event reaches this process (server/auth/service.ts).
  const keyWatch = new AbortController();
  void auth.watchRevocations(keyWatch.signal).catch((err: unknown) => console.error('[auth] revocation watch stopped; keys are cached for 2 s from now on:', err));
  await auth.bootstrap({ adminEmail: e.SPINE_ADMIN_EMAIL, adminPassword: e.SPINE_ADMIN_PASSWORD, apiKey: e.SPINE_API_KEY, demoUsers: e.SPINE_DEMO });
  return {
    spine,
    db,
    engine,
    auth,
    audit,
    config: { maxPayloadBytes: e.SPINE_MAX_PAYLOAD_BYTES, databaseUrl: e.DATABASE_URL, demo: e.SPINE_DEMO },
    async close() {
      keyWatch.abort();
      await engine.stop();
      await tracing?.stop();
      audit.stop();
      await db.$disconnect();
      await spine.close();
      delete (globalThis as Holder)[KEY];
    },
  };
}
