/**
 * What an HTTP handler needs from the runtime. Handlers are built from a `services` getter so tests and
 * the crash-test server can serve the same handlers over their own spine and engine.
 */
import type { Spine } from '@/server/spine';
import type { EngineService } from '@/server/engine';
import type { AuthService } from '@/server/auth/service';
import { getRuntime } from '@/server/runtime';
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
};
export type ServicesGetter = () => Promise<HttpServices>;

export const runtimeServices: ServicesGetter = async () => {
  const rt = await getRuntime();
  return { spine: rt.spine, maxPayloadBytes: rt.config.maxPayloadBytes, auth: rt.auth, engine: rt.engine };
};

export function requireEngine(s: HttpServices): EngineService {
  if (!s.engine) throw new UnavailableError('engine.unavailable', 'The workflow engine is not running in this process');
  return s.engine;
}
