/**
 * What an HTTP handler needs from the runtime. Handlers are built from a `services` getter so tests and
 * the crash-test server can serve the same handlers over their own spine.
 */
import type { Spine } from '@/server/spine';
import { getRuntime } from '@/server/runtime';

export type HttpServices = { spine: Spine; maxPayloadBytes: number };
export type ServicesGetter = () => Promise<HttpServices>;

export const runtimeServices: ServicesGetter = async () => {
  const rt = await getRuntime();
  return { spine: rt.spine, maxPayloadBytes: rt.config.maxPayloadBytes };
};
