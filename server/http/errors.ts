/**
 * The one mapping from errors to HTTP responses: `{ error: { code, message } }` with the SpineError's
 * status. Anything that is not a SpineError is a 500 whose message is hidden (logged, not leaked).
 */
import { isSpineError } from '@/server/errors';
import type { ApiRequest } from './body';

/**
 * A JSON answer before it is a web Response. The hot routes' handlers return one: the node:http adapter
 * writes it as it is, and `toResponse` makes the Response Next.js sends when it serves the same route.
 */
export type JsonReply = { readonly status: number; readonly text: string; readonly headers: Readonly<Record<string, string>> };

export function reply(body: unknown, status = 200, headers: Record<string, string> = {}): JsonReply {
  return { status, text: JSON.stringify(body), headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } };
}

/** The text of each response `json()` made, so the node:http adapter can write it without reading the web stream. */
const texts = new WeakMap<Response, string>();

export function toResponse(r: JsonReply): Response {
  const response = new Response(r.text, { status: r.status, headers: r.headers });
  texts.set(response, r.text);
  return response;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return toResponse(reply(body, status, headers));
}

/** The JSON text of a response made by `json()` whose body nobody has read, else undefined. */
export function jsonTextOf(response: Response): string | undefined {
  return response.bodyUsed ? undefined : texts.get(response);
}

export function errorReply(e: unknown): JsonReply {
  if (isSpineError(e)) {
    const body: { code: string; message: string; details?: unknown } = { code: e.code, message: e.httpStatus >= 500 ? 'Internal error' : e.message };
    if (e.httpStatus < 500 && e.details !== undefined && isPlainDetails(e.details)) body.details = e.details;
    return reply({ error: body }, e.httpStatus);
  }
  console.error('spine: unhandled error', e);
  return reply({ error: { code: 'internal', message: 'Internal error' } }, 500);
}

export function toHttpError(e: unknown): Response {
  return toResponse(errorReply(e));
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

/** A hot route's handler: what it reads of the request is an ApiRequest, what it answers a JsonReply. */
export type ReplyHandler<C = unknown> = (req: ApiRequest, ctx: C) => Promise<JsonReply>;

declare const mapped: unique symbol;
/** A reply handler whose thrown errors are answered as error replies (only `withErrorReply` makes one). */
export type SafeReplyHandler<C = unknown> = ReplyHandler<C> & { readonly [mapped]: true };

/** Wraps a reply handler so every thrown error becomes the standard JSON error reply. */
export function withErrorReply<C>(handler: ReplyHandler<C>): SafeReplyHandler<C> {
  const safe: ReplyHandler<C> = async (req, ctx) => {
    try {
      return await handler(req, ctx);
    } catch (e) {
      return errorReply(e);
    }
  };
  return safe as SafeReplyHandler<C>;
}

/** The route-file handler of a reply handler (Next.js): the same answers, errors included, as Responses. */
export function asHandler<C>(handler: ReplyHandler<C>): Handler<C> {
  const safe = withErrorReply(handler);
  return async (req, ctx) => toResponse(await safe(req, ctx));
}
