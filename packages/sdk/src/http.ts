/**
 * The SDK's transport: JSON requests with the key, and a Server-Sent Events reader (eventsource-parser)
 * that reconnects with Last-Event-ID, so a dropped connection resumes where it stopped.
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

export function transport(url: string, apiKey: string, fetchImpl: typeof fetch = fetch): Transport {
  const base = url.replace(/\/+$/, '');
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

  async function refused(res: Response): Promise<SpineApiError> {
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

  return {
    async post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
      const text = JSON.stringify(body ?? {});
      for (let attempt = 1; ; attempt++) {
        await slot();
        try {
          const res = await fetchImpl(base + path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: text, signal });
          if (!res.ok) throw await refused(res);
          return (await res.json()) as T;
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
          const res = await fetchImpl(base + path, { headers: { ...headers, accept: 'text/event-stream', ...(lastEventId && { 'last-event-id': lastEventId }) }, signal: opts.signal });
          if (!res.ok || !res.body) {
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
          const decoder = new TextDecoder();
          const reader = res.body.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.feed(decoder.decode(value, { stream: true }));
          }
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
