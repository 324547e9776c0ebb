/**
 * What an HTTP handler needs from the runtime. Handlers are built from a `services` getter so tests and
 * the crash-test server can serve the same handlers over their own spine and engine.
 */
import type { Spine } from '@/server/spine';
import type { EngineService } from '@/server/engine';
import { getRuntime } from '@/server/runtime';
import { UnavailableError } from '@/server/errors';

export type HttpServices = { spine: Spine; maxPayloadBytes: number; engine?: EngineService };
export type ServicesGetter = () => Promise<HttpServices>;

export const runtimeServices: ServicesGetter = async () => {
  const rt = await getRuntime();
  return { spine: rt.spine, maxPayloadBytes: rt.config.maxPayloadBytes, engine: rt.engine };
};

export function requireEngine(s: HttpServices): EngineService {
  if (!s.engine) throw new UnavailableError('engine.unavailable', 'The workflow engine is not running in this process');
  return s.engine;
}
