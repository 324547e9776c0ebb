/**
 * The process-wide Spine runtime: one spine (log, subscriptions) per process, shared by the custom
 * server, route handlers and tRPC. Next.js bundles route handlers separately from server.ts, so the
 * instance lives on `globalThis`: whichever side asks first opens it, everyone else gets the same one.
 */
import { env } from './env';
import { openSpine, type Spine } from './spine';

export type Runtime = {
  spine: Spine;
  config: { maxPayloadBytes: number; databaseUrl: string };
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
  const spine = await openSpine({
    databaseUrl: e.DATABASE_URL,
    maxPayloadBytes: e.SPINE_MAX_PAYLOAD_BYTES,
    synchronous: e.SPINE_SQLITE_SYNCHRONOUS,
  });
  return {
    spine,
    config: { maxPayloadBytes: e.SPINE_MAX_PAYLOAD_BYTES, databaseUrl: e.DATABASE_URL },
    async close() {
      await spine.close();
      delete (globalThis as Holder)[KEY];
    },
  };
}
