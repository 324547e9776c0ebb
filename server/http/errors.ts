/**
 * The one mapping from errors to HTTP responses: `{ error: { code, message } }` with the SpineError's
 * status. Anything that is not a SpineError is a 500 whose message is hidden (logged, not leaked).
 */
import { isSpineError } from '@/server/errors';

/** The text of each response `json()` made, so the node:http adapter can write it without reading the web stream. */
const texts = new WeakMap<Response, string>();

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
  texts.set(response, text);
  return response;
}

/** The JSON text of a response made by `json()` whose body nobody has read, else undefined. */
export function jsonTextOf(response: Response): string | undefined {
  return response.bodyUsed ? undefined : texts.get(response);
}

export function toHttpError(e: unknown): Response {
  if (isSpineError(e)) {
    const body: { code: string; message: string; details?: unknown } = { code: e.code, message: e.httpStatus >= 500 ? 'Internal error' : e.message };
    if (e.httpStatus < 500 && e.details !== undefined && isPlainDetails(e.details)) body.details = e.details;
    return json({ error: body }, e.httpStatus);
  }
  console.error('spine: unhandled error', e);
  return json({ error: { code: 'internal', message: 'Internal error' } }, 500);
}

function isPlainDetails(d: unknown): boolean {
  try {
    return JSON.stringify(d).length < 4000;
  } catch {
    return false;
  }
}

export type Handler<C = unknown> = (req: Request, ctx: C) => Promise<Response>;

/** Wraps a handler so every thrown error becomes the standard JSON error response. */
export function withErrorHandling<C>(handler: Handler<C>): Handler<C> {
  return async (req, ctx) => {
    try {
      return await handler(req, ctx);
    } catch (e) {
      return toHttpError(e);
    }
  };
}
