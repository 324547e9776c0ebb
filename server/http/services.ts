/**
 * What an HTTP handler needs from the runtime, and the one place /api/v1 handlers get it. Handlers are
 * built from a `services` getter (`runtimeServices` by default: the process runtime through
 * `httpServicesOf`) so tests and the crash-test server can serve the same handlers over their own spine
 * and engine. No handler reaches for `@/server/runtime` itself.
 */
import type { Spine } from '@/server/spine';
import type { EngineService } from '@/server/engine';
import type { AuthService } from '@/server/auth';
import type { Db } from '@/server/db';
import { auditFor, type Audit } from '@/server/audit';
import { getRuntime, type Runtime } from '@/server/runtime';
import { UnavailableError } from '@/server/errors';

export type HttpServices = {
  spine: Spine;
  maxPayloadBytes: number;
  /**
   * Authentication. The runtime always provides it. Handlers built in code without one (test harnesses
   * that exercise a single handler) act as the system actor; no configuration can switch it off.
   */
  auth?: AuthService;
  engine?: EngineService;
  /** The database, for the workflow library (create, drafts, archive). The runtime always provides it. */
  db?: Db;
  /** The runtime's audit service; without one (test harnesses), the audit service of `spine` (see `auditOf`). */
  audit?: Audit;
};
export type ServicesGetter = () => Promise<HttpServices>;

/** The services a runtime gives the HTTP handlers. */
export function httpServicesOf(rt: Pick<Runtime, 'spine' | 'auth' | 'engine' | 'audit' | 'config' | 'db'>): HttpServices {
  return { spine: rt.spine, maxPayloadBytes: rt.config.maxPayloadBytes, auth: rt.auth, engine: rt.engine, audit: rt.audit, db: rt.db };
}

/** The process runtime's services: what the route files' handlers use. */
export const runtimeServices: ServicesGetter = async () => httpServicesOf(await getRuntime());

export function requireEngine(s: HttpServices): EngineService {
  if (!s.engine) throw new UnavailableError('engine.unavailable', 'The workflow engine is not running in this process');
  return s.engine;
}

export function requireDb(s: HttpServices): Db {
  if (!s.db) throw new UnavailableError('db.unavailable', 'No database is configured in this process');
  return s.db;
}

/** The audit service the handlers use: the runtime's, or (a harness without one) the one of its spine. */
export function auditOf(s: HttpServices): Audit {
  return s.audit ?? auditFor(s.spine);
}
