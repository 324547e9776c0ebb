/**
 * Serves `Request → Response` handlers from a plain node:http server. Next.js serves them in production;
 * this adapter lets tests and the crash/latency harnesses run the very same handlers without a build.
 */
import http from 'node:http';
import { PEER_HEADER } from './clientAddress';

export type Route = { method: string; path: string | RegExp; handler: (req: Request, ctx: { params: Promise<never> }) => Promise<Response> };

export function createNodeServer(routes: Route[]): http.Server {
  return http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    let match: { route: Route; params: Record<string, string> } | undefined;
    for (const route of routes) {
      if (route.method !== req.method) continue;
      if (typeof route.path === 'string' ? route.path === url.pathname : route.path.test(url.pathname)) {
        const groups = typeof route.path === 'string' ? {} : (route.path.exec(url.pathname)?.groups ?? {});
        match = { route, params: groups };
        break;
      }
    }
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'No such route' } }));
      return;
    }
    req.headers[PEER_HEADER] = req.socket.remoteAddress ?? 'unknown';
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(url, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: hasBody ? bodyOf(req) : undefined,
      signal: ac.signal,
      ...(hasBody && { duplex: 'half' }),
    } as RequestInit);
    const response = await match.route.handler(request, { params: Promise.resolve(match.params) as Promise<never> });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void res.end();
    const reader = response.body.getReader();
    res.on('close', () => void reader.cancel().catch(() => undefined));
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
    } catch {
      /* client went away */
    }
    res.end();
  });
}

/**
 * The request body as a web stream. Not `Readable.toWeb`: when a handler stops reading early (a body over
 * its limit), that one still pushes the chunks already buffered into the closed stream and throws.
 * Reads without backpressure: this adapter serves tests and harnesses, not production traffic.
 */
function bodyOf(req: http.IncomingMessage): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        if (open) controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      req.on('end', () => {
        if (open) controller.close();
        open = false;
      });
      req.on('error', (e) => {
        if (open) controller.error(e);
        open = false;
      });
    },
    cancel() {
      // Discard the rest rather than destroy the socket, which would take the answer (a 413) with it.
      open = false;
      req.resume();
    },
  });
}
