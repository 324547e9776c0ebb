/**
 * The tRPC endpoint over the Fetch API (`app/api/trpc/[trpc]/route.ts` only forwards to it). A request
 * body is read through a byte limit while it streams, so a huge or endless body is refused with 413
 * `PAYLOAD_TOO_LARGE` before anything parses it (a lying or missing Content-Length does not get past it).
 */
import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from './root';
import { createContext, type Context } from './trpc';

/** Largest tRPC request body. A workflow of the maximum size (1,000 nodes, 5,000 edges) fits well within. */
export const TRPC_MAX_BODY_BYTES = 8 * 1024 * 1024;

export function handleTrpc(req: Request, opts: { createContext?: (req: Request) => Promise<Context>; maxBodyBytes?: number } = {}): Promise<Response> {
  const limit = opts.maxBodyBytes ?? TRPC_MAX_BODY_BYTES;
  const make = opts.createContext ?? ((r: Request) => createContext({ req: r }));
  const limited = withBodyLimit(req, limit);
  return fetchRequestHandler({ endpoint: '/api/trpc', req: limited, router: appRouter, createContext: () => make(limited) });
}

function tooLarge(limit: number): TRPCError {
  return new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `The request body is over the limit of ${limit} bytes` });
}

function withBodyLimit(req: Request, limit: number): Request {
  if (!req.body) return req;
  const declared = Number(req.headers.get('content-length') ?? NaN);
  let size = Number.isFinite(declared) ? declared : 0;
  const body = req.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        if (size > limit) controller.error(tooLarge(limit));
        size = 0;
      },
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > limit) controller.error(tooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Request(req, { body, duplex: 'half' } as RequestInit);
}
