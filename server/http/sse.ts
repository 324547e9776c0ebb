/**
 * A Server-Sent Events response over an async source (the log's subscribe): a first comment line with the
 * reconnect delay, a heartbeat comment every 15 s so proxies keep the connection, one message per item
 * (`message` may skip one with null), and the end when the source ends or the client goes (`abort`).
 * Call it after the last fallible check: from here on errors end the stream, they are not answers.
 *
 * @example return sseResponse({ hello: `connected after ${after}`, source: events, abort, what: 'event stream', message: (e) => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n` });
 */
const HEARTBEAT_MS = 15_000;
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' };

export function sseResponse<T>(opts: {
  hello: string;
  source: AsyncIterable<T>;
  /** May be async (a message that needs a read or a write first); items are still sent one at a time, in order. */
  message: (item: T) => string | null | Promise<string | null>;
  /** Aborted when the client goes; aborts the source. */
  abort: AbortController;
  /** For the log line when the source fails. */
  what: string;
  /** Runs as the stream opens and as it ends. */
  onOpen?: () => void;
  onClose?: () => void;
}): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(`retry: 1000\n: ${opts.hello}\n\n`));
      opts.onOpen?.();
      const heartbeat = setInterval(() => controller.enqueue(encoder.encode(': heartbeat\n\n')), HEARTBEAT_MS);
      try {
        for await (const item of opts.source) {
          const m = await opts.message(item);
          if (m) controller.enqueue(encoder.encode(m));
        }
      } catch (err) {
        if (!opts.abort.signal.aborted) console.error(`spine: ${opts.what} failed`, err);
      } finally {
        clearInterval(heartbeat);
        opts.onClose?.();
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      }
    },
    cancel() {
      opts.abort.abort();
    },
  });
  return new Response(body, { headers: SSE_HEADERS });
}
