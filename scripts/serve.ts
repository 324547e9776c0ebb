/**
 * Spine's HTTP server: opens the runtime (which migrates the database), starts the demo publisher when
 * SPINE_DEMO is on, then serves the Next.js app (pages, tRPC and the public API) from one process, so
 * route handlers share the runtime opened here (server/runtime.ts keeps it on globalThis).
 *
 *   tsx scripts/serve.ts          production (needs `next build`; `npm start` does that when needed)
 *   tsx scripts/serve.ts --dev    development with hot reload
 *
 * SIGTERM / SIGINT: stop accepting connections, end live streams (clients resume from their last event
 * id elsewhere), let in-flight requests finish, stop the demo, then commit pending appends and close the
 * database, and exit 0.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

const dev = process.argv.includes('--dev');
// Next.js and React read NODE_ENV when they load, so set it before importing them.
(process.env as Record<string, string>).NODE_ENV = dev ? 'development' : 'production';

const SHUTDOWN_GRACE_MS = 5000;

async function main() {
  // Signals are handled from the first moment; what a stop has to undo grows as start-up proceeds.
  let stop: () => Promise<void> = async () => process.exit(0);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`[serve] ${signal}: shutting down`);
      stop().catch((e: unknown) => {
        console.error('[serve] shutdown failed:', e);
        process.exit(1);
      });
    });
  }

  const { env } = await import('@/server/env');
  const { getRuntime } = await import('@/server/runtime');
  const { startDemo } = await import('@/server/demo');
  const { PEER_HEADER, runtimeServices, hotRouteFor, hotRoutes, pathOf, serveFetch, securityHeaders } = await import('@/server/http');
  const { default: next } = await import('next');

  const { HOST: hostname, PORT: port, SPINE_DEMO } = env();
  const runtime = await getRuntime();
  const demo = SPINE_DEMO ? startDemo(runtime.spine) : null;
  stop = async () => {
    await demo?.stop();
    await runtime.close();
    process.exit(0);
  };

  const app = next({ dev, hostname, port, dir: process.cwd() });
  await app.prepare();
  const handle = app.getRequestHandler();
  // Publish, start a run and SDK agents' task traffic go straight to their handlers (server/http/hotRoutes.ts).
  const hot = hotRoutes(runtimeServices);
  const hotHeaders = Object.fromEntries(securityHeaders(dev).map((h) => [h.key, h.value]));

  // Live streams (server-sent events, upgraded sockets such as dev hot reload) never end by themselves:
  // shutdown ends them at once. Every other connection gets SHUTDOWN_GRACE_MS to finish its request.
  const sockets = new Set<Socket>();
  const longLived = new Set<Socket>();
  const server = createServer((req, res) => {
    // The connection's peer, for per-client limits (server/http/clientAddress.ts); never the client's say.
    req.headers[PEER_HEADER] = req.socket.remoteAddress ?? 'unknown';
    if (req.headers.accept?.includes('text/event-stream')) {
      longLived.add(req.socket);
      res.on('close', () => longLived.delete(req.socket));
    }
    const fast = hotRouteFor(hot, req.method, pathOf(req));
    if (fast) return void serveFetch(req, res, fast.route, fast.params, hotHeaders);
    handle(req, res).catch((e: unknown) => {
      console.error('[serve] request failed:', e);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal server error');
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      longLived.delete(socket);
    });
  });
  const upgrade = app.getUpgradeHandler();
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    longLived.add(socket);
    upgrade(req, socket, head).catch(() => socket.destroy());
  });

  if (stopping) return;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => resolve());
  });
  const address = server.address();
  const shownPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = hostname === '127.0.0.1' || hostname === '0.0.0.0' ? 'localhost' : hostname;
  console.log(`Spine listening on http://${shownHost}:${shownPort}`);

  stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of longLived) socket.destroy();
    server.closeIdleConnections();
    const grace = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, SHUTDOWN_GRACE_MS);
    await Promise.all([closed, demo?.stop()]);
    clearTimeout(grace);
    if (dev) await app.close();
    await runtime.close();
    process.exit(0);
  };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
