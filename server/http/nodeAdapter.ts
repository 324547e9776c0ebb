/**
 * Serves `Request → Response` handlers from a plain node:http server: the hot API v1 routes in production
 * (`hotRoutes.ts`, mounted by scripts/serve.ts in front of Next.js), and the whole route table for tests and
 * the crash/latency harnesses, which run the very same handlers without a build.
 */
import http from 'node:http';
import { withBufferedBody, type ApiRequest } from './body';
import { PEER_HEADER } from './clientAddress';
import { jsonTextOf, type JsonReply, type SafeReplyHandler } from './errors';

/** Bodies up to this declared length are read whole before the handler runs (body.ts); longer or unsized ones stream. */
const WHOLE_BODY_MAX = 64 * 1024;

export type Handler = (req: Request, ctx: { params: Promise<never> }) => Promise<Response>;
export type Route = {
  method: string;
  path: string | RegExp;
  /**
   * The handler reads its body only with `readJsonBody` (body.ts): a small body read whole is then kept beside
   * the Request, not also wrapped in a web stream it would never read (a tenth of a publish's CPU).
   */
  jsonBody?: true;
} & (
  | { handler: Handler; reply?: never }
  /**
   * A hot route's reply handler (errors.ts): it gets an ApiRequest over the node request instead of a web
   * Request, and its JsonReply is written as it is, with no Response made (together a tenth of a publish's
   * CPU). It reads its body only with `readJsonBody`, and maps its own errors (`withErrorReply`).
   */
  | { reply: SafeReplyHandler<{ params: Promise<never> }>; handler?: never }
);

/** The first route of `routes` for this method and path, with the path's named groups as params. */
export function matchRoute(routes: readonly Route[], method: string | undefined, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    if (typeof route.path === 'string') {
      if (route.path === pathname) return { route, params: {} };
    } else {
      const m = route.path.exec(pathname);
      if (m) return { route, params: Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, decodeSegment(v)])) };
    }
  }
  return undefined;
}

/** A path segment as Next.js hands it to a route (percent-decoded); a malformed escape stays as it is. */
function decodeSegment(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

export function createNodeServer(routes: Route[]): http.Server {
  return http.createServer((req, res) => {
    req.headers[PEER_HEADER] = req.socket.remoteAddress ?? 'unknown';
    const match = matchRoute(routes, req.method, pathOf(req));
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'No such route' } }));
      return;
    }
    void serveFetch(req, res, match.route, match.params);
  });
}

/** The path of a request's URL, without its query. */
export function pathOf(req: http.IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Answers one node:http request with a fetch handler: the request as a web `Request` (a small sized body read
 * whole and handed to `readJsonBody`, a larger one streamed with backpressure; a read's signal aborts when the
 * client goes away), the `Response` written back as it streams,
 * waiting for a slow client to drain rather than buffering for it. `headers` are added to every response (the
 * security headers Next.js adds to its own).
 */
export async function serveFetch(req: http.IncomingMessage, res: http.ServerResponse, route: Route, params: Record<string, string>, headers?: Readonly<Record<string, string>>): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const declared = Number(req.headers['content-length'] ?? NaN);
    // A small sized body (every hot route's) is read whole first: node:http frames it by its length.
    const whole = hasBody && declared <= WHOLE_BODY_MAX ? await wholeBody(req) : undefined;
    if (hasBody && declared <= WHOLE_BODY_MAX && !whole) return void res.destroy(); // the client went away mid-body
    const body = hasBody && !whole ? bodyOf(req) : undefined;
    // A read (a stream above all) ends when its client goes away; a write runs to its end (it may be
    // committing), so it needs no signal of its own, and an answered request aborts nothing.
    let signal: AbortSignal | undefined;
    if (!hasBody) {
      const ac = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) ac.abort();
      });
      signal = ac.signal;
    }
    if (route.reply) {
      const request: ApiRequest = { method: req.method ?? 'GET', url: url.href, headers: headerReader(req.headers), body: body?.stream ?? null };
      if (whole) withBufferedBody(request, whole);
      if (body) res.once('finish', body.discard);
      return void writeReply(res, await route.reply(request, { params: Promise.resolve(params) as Promise<never> }), headers);
    }
    const request = new Request(url, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: whole && route.jsonBody ? undefined : (whole ?? body?.stream),
      ...(signal && { signal }),
      ...(body && { duplex: 'half' }),
    } as RequestInit);
    if (whole) withBufferedBody(request, whole);
    // What the handler leaves unread (a body over its limit, refused by its length) is discarded once the
    // answer is out: the client can finish sending and read it, rather than meet a reset connection.
    if (body) res.once('finish', body.discard);
    const response = await route.handler(request, { params: Promise.resolve(params) as Promise<never> });
    // A JSON answer (every hot route's) is written as the text it was made from: sized, one write, no stream reader.
    const text = jsonTextOf(response);
    if (text !== undefined) return void writeReply(res, { status: response.status, text, headers: Object.fromEntries(response.headers) }, headers);
    res.writeHead(response.status, { ...headers, ...Object.fromEntries(response.headers) });
    if (!response.body) return void res.end();
    // A stream (server-sent events) may wait long for its first chunk: the client gets its headers now.
    res.flushHeaders();
    const reader = response.body.getReader();
    res.on('close', () => void reader.cancel().catch(() => undefined));
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!res.write(value) && !res.destroyed) await drained(res);
      }
    } catch {
      /* client went away */
    }
    res.end();
  } catch (e) {
    // Handlers map their own errors (withErrorHandling); this is a bug or a broken request object.
    console.error('[http] request failed:', e);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { code: 'internal', message: 'Internal server error' } }));
  }
}

/**
 * A node request's headers read as a web Request's would be: node:http has already lower-cased the names
 * and joined repeated values (the Request the other routes get is built from the same object).
 */
function headerReader(h: http.IncomingHttpHeaders): ApiRequest['headers'] {
  return {
    get(name: string) {
      const v = h[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

function writeReply(res: http.ServerResponse, r: JsonReply, headers?: Readonly<Record<string, string>>) {
  res.writeHead(r.status, { ...headers, ...r.headers, 'content-length': String(Buffer.byteLength(r.text)) });
  res.end(r.text);
}

/** The whole body of a request, or undefined when the client went away before sending it all. */
function wholeBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', () => resolve(undefined));
    req.once('close', () => resolve(req.complete ? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)) : undefined));
  });
}

/** Resolves when a response that refused a write can take more, or has closed. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/**
 * The request body as a web stream, read as fast as the handler reads it (the socket pauses while the
 * stream's queue is full). Not `Readable.toWeb`: when a handler stops reading early (a body over its limit),
 * that one still pushes the chunks already buffered into the closed stream and throws.
 */
function bodyOf(req: http.IncomingMessage): { stream: ReadableStream<Uint8Array>; discard: () => void } {
  let open = true;
  // Discard the rest rather than destroy the socket, which would take the answer (a 413) with it.
  const discard = () => {
    open = false;
    req.resume();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) req.pause();
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
      pull() {
        if (open) req.resume();
      },
      cancel: discard,
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
  return { stream, discard };
}
