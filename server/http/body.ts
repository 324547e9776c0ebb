/**
 * Reading request bodies safely: a hard byte limit enforced while streaming (a lying or missing
 * Content-Length cannot get past it), then JSON parsing with a clear 400.
 *
 * The node:http adapter (nodeAdapter.ts) reads a small body whole before it calls the handler and hands it
 * over here (`withBufferedBody`); it gives it to the Request as well (for readers such as tRPC's) unless the
 * route reads only through here (`jsonBody`, and the hot routes' reply handlers, which get an ApiRequest):
 * for a few-hundred-byte body a web stream costs more than the rest of the request.
 */
import { PayloadTooLargeError, ValidationError } from '@/server/errors';

/**
 * What the hot routes' handlers read of a request. A web `Request` is one (Next.js hands them that); the
 * node:http adapter hands them a plain object over the node request instead, which costs a tenth of a
 * Request's construction (its Headers, its AbortSignal, its body stream).
 */
export type ApiRequest = {
  readonly method: string;
  /** Absolute, as a Request's. */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  /** A body too large to be read whole before the handler runs (null when it was, or there is none). */
  readonly body: ReadableStream<Uint8Array> | null;
};

/** Bodies read whole by the adapter, by the request they belong to. */
const buffered = new WeakMap<ApiRequest, Buffer>();

/** Attaches a body the adapter has already read; `readJsonBody(req)` reads it from here. */
export function withBufferedBody<R extends ApiRequest>(req: R, body: Buffer): R {
  buffered.set(req, body);
  return req;
}

export async function readJsonBody(req: ApiRequest, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes)
    throw new PayloadTooLargeError('request.too_large', `request body is ${declared} bytes; the limit is ${limitBytes}`, { limit: limitBytes });
  const whole = buffered.get(req);
  if (whole) {
    if (whole.byteLength > limitBytes) throw new PayloadTooLargeError('request.too_large', `request body exceeds the limit of ${limitBytes} bytes`, { limit: limitBytes });
    return parseJson(whole.toString('utf8'));
  }
  if (!req.body) throw new ValidationError('request.empty_body', 'request body is empty; send JSON');
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLargeError('request.too_large', `request body exceeds the limit of ${limitBytes} bytes`, { limit: limitBytes });
    }
    chunks.push(value);
  }
  return parseJson(Buffer.concat(chunks).toString('utf8'));
}

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new ValidationError('request.empty_body', 'request body is empty; send JSON');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError('request.malformed_json', `request body is not valid JSON: ${(e as Error).message}`);
  }
}
