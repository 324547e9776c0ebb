/**
 * A diagnostic for the HTTP bench, not a floor: Spine's own runtime (server/runtime.ts: spine, auth with
 * SPINE_API_KEY, audit, engine, seed) and its real `/api/v1` handlers, served on a plain node:http server
 * through server/http/nodeAdapter.ts instead of through Next.js. The difference between this and the real
 * server is what the Next.js request path costs; the difference between this and bareHttp.ts is Spine's
 * own work per request.
 *
 * Run as a child process with the real server's env (DATABASE_URL, SPINE_API_KEY, SPINE_DEMO=0); prints
 * `listening <port>`. SIGTERM closes the runtime (pending appends committed) and exits.
 */
import type { AddressInfo } from 'node:net';
import { getRuntime } from '@/server/runtime';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { runtimeServices } from '@/server/http/services';
import { v1Routes } from '@/server/testing/v1Routes';

const runtime = await getRuntime();
const server = createNodeServer(v1Routes(runtimeServices));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void runtime.close().then(() => process.exit(0)));
});
