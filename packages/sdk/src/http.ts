/**
 * The SDK's transport: JSON requests with the key, and a Server-Sent Events reader (eventsource-parser)
 * that reconnects with Last-Event-ID, so a dropped connection resumes where it stopped. On Node (and the
 * runtimes that provide `node:http`) requests go through `node:http`/`node:https` with keep-alive sockets:
 * on loopback a result post takes a fraction of a `fetch` round trip, which is most of what an agent adds to
 * a task. Elsewhere, or when the caller passes its own `fetch`, they go through `fetch`.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { SpineApiError } from './errors.js';

export type Transport = {
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T>;
  /** Reads an SSE stream until `signal` aborts, reconnecting after errors; `onOpen` after each connect. */
  stream(path: string, opts: { signal: AbortSignal; onMessage(m: EventSourceMessage): void; onOpen?(): void; onError?(e: unknown): void; lastEventId?: string }): Promise<void>;
};

/** Requests in flight per client: past this they queue (a burst of claims must not open a socket each). */
const MAX_IN_FLIGHT = 32;
/** Tries per request when the network fails (a reset connection); a refusal by Spine is never retried. */
const TRIES = 3;

/** One HTTP exchange, whatever carries it: the status, then the body as text or as decoded chunks. */
type Reply = { status: number; statusText: string; text(): Promise<string>; chunks(): AsyncIterable<string> };
type Send = (r: { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Reply>;

function viaFetch(fetchImpl: typeof fetch): Send {
  return async (r) => {
    const res = await fetchImpl(r.url, { method: r.method, headers: r.headers, ...(r.body !== undefined && { body: r.body }), ...(r.signal && { signal: r.signal }) });
    return {
      status: res.status,
      statusText: res.statusText,
      text: () => res.text(),
      async *chunks() {
        if (!res.body) return;
        const decoder = new TextDecoder();
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield decoder.decode(value, { stream: true });
        }
      },
    };
  };
}

const hasNodeHttp = () => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** `node:http`/`node:https` with keep-alive agents (idle sockets do not keep the process alive); imported on first use. */
function viaNodeHttp(): Send {
  let libs: Promise<{ http: typeof import('node:http'); https: typeof import('node:https'); agents: { http: import('node:http').Agent; https: import('node:https').Agent } }> | undefined;
  const load = () =>
    (libs ??= Promise.all([import('node:http'), import('node:https')]).then(([http, https]) => ({
      http,
      https,
      agents: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
    })));
  return async (r) => {
    const { http, https, agents } = await load();
    const url = new URL(r.url);
    const headers = r.body === undefined ? r.headers : { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) };
    return new Promise<Reply>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(url, { method: r.method, headers, agent: secure ? agents.https : agents.http, ...(r.signal && { signal: r.signal }) }, (res) => {
        res.setEncoding('utf8');
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          async text() {
            let text = '';
            for await (const chunk of res) text += chunk as string;
            return text;
          },
          chunks: () => res as AsyncIterable<string>,
        });
      });
      req.on('error', reject);
      req.end(r.body);
    });
  };
}

export function transport(url: string, apiKey: string, fetchImpl?: typeof fetch): Transport {
  const base = url.replace(/\/+$/, '');
  const send = fetchImpl ? viaFetch(fetchImpl) : hasNodeHttp() ? viaNodeHttp() : viaFetch(fetch);
  const headers = { authorization: `Bearer ${apiKey}` };
  let inFlight = 0;
  const queued: (() => void)[] = [];
  const slot = async () => {
    while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => queued.push(r));
    inFlight++;
  };
  const release = () => {
    inFlight--;
    queued.shift()?.();
  };

  async function refused(res: Reply): Promise<SpineApiError> {
    const text = await res.text().catch(() => '');
    let code = `http.${res.status}`;
    let message = text.slice(0, 500) || res.statusText;
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error?.code) code = body.error.code;
      if (body.error?.message) message = body.error.message;
    } catch {
      /* not JSON */
    }
    return new SpineApiError(res.status, code, message);
  }
  const ok = (res: Reply) => res.status >= 200 && res.status < 300;

  return {
    async post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
      const text = JSON.stringify(body ?? {});
      for (let attempt = 1; ; attempt++) {
        await slot();
        try {
          const res = await send({ method: 'POST', url: base + path, headers: { ...headers, 'content-type': 'application/json' }, body: text, ...(signal && { signal }) });
          if (!ok(res)) throw await refused(res);
          return JSON.parse(await res.text()) as T;
        } catch (e) {
          if (e instanceof SpineApiError || signal?.aborted || attempt >= TRIES) throw e;
        } finally {
          release();
        }
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    },

    async stream(path, opts) {
      let lastEventId = opts.lastEventId;
      let retryMs = 1000;
      let first = true;
      while (!opts.signal.aborted) {
        try {
          const res = await send({ method: 'GET', url: base + path, headers: { ...headers, accept: 'text/event-stream', ...(lastEventId && { 'last-event-id': lastEventId }) }, signal: opts.signal });
          if (!ok(res)) {
            const e = await refused(res);
            // A refused key will not be accepted by retrying: the first connect fails loudly.
            if (first && (res.status === 401 || res.status === 403)) throw e;
            throw Object.assign(e, { transient: true });
          }
          first = false;
          opts.onOpen?.();
          const parser = createParser({
            onEvent(m) {
              if (m.id) lastEventId = m.id;
              opts.onMessage(m);
            },
            onRetry(ms) {
              retryMs = ms;
            },
          });
          for await (const chunk of res.chunks()) parser.feed(chunk);
        } catch (e) {
          if (opts.signal.aborted) return;
          if (first && e instanceof SpineApiError && !(e as { transient?: boolean }).transient) throw e;
          opts.onError?.(e);
        }
        if (opts.signal.aborted) return;
        await new Promise<void>((r) => {
          const t = setTimeout(r, retryMs);
          opts.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
        });
      }
    },
  };
}
