/**
 * The HTTP binding of an A2A JSON-RPC endpoint as a `Request → Response` handler: the body goes to the
 * SDK's `JsonRpcTransportHandler` as it came (the SDK parses it, validates it and builds every JSON-RPC
 * answer, errors included); a single answer is sent as JSON, a stream (`message/stream`,
 * `tasks/resubscribe`) as server-sent events with the SDK's own framing (`data: <answer>`), as the SDK's
 * express binding does. Used by Spine's A2A server (server/a2a/server.ts) and by tests that stand up an
 * A2A agent with the SDK's server classes.
 */
import { A2AError, JsonRpcTransportHandler, type A2ARequestHandler, type ServerCallContext } from '@a2a-js/sdk/server';

/** The largest JSON-RPC request body accepted (a message with its data parts). */
export const MAX_A2A_BODY_BYTES = 1024 * 1024;

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' };

/** Serves one JSON-RPC request of `handler`; `context` (who calls, what the endpoint serves) reaches the handler and the executor. */
export async function serveA2aJsonRpc(handler: A2ARequestHandler, req: Request, context?: ServerCallContext): Promise<Response> {
  const body = await req.text();
  const transport = new JsonRpcTransportHandler(handler);
  if (body.length > MAX_A2A_BODY_BYTES) {
    return Response.json({ jsonrpc: '2.0', id: null, error: A2AError.invalidRequest(`request body over ${MAX_A2A_BODY_BYTES} bytes`).toJSONRPCError() }, { status: 413 });
  }
  const answer = await transport.handle(body, context);
  if (!isAsyncIterable(answer)) return Response.json(answer, { headers: { 'cache-control': 'no-store' } });
  const encoder = new TextEncoder();
  const iterator = answer[Symbol.asyncIterator]();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) return controller.close();
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(value)}\n\n`));
      } catch (e) {
        const error = (e instanceof A2AError ? e : A2AError.internalError(e instanceof Error ? e.message : 'streaming error')).toJSONRPCError();
        controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: requestIdOf(body), error })}\n\n`));
        controller.close();
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(stream, { headers: SSE_HEADERS });
}

function isAsyncIterable(x: unknown): x is AsyncGenerator<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function requestIdOf(body: string): string | number | null {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}
