/**
 * The node:http adapter streams a response at the pace of its client: with a client that does not read, the
 * handler's stream is pulled only until the socket's buffers are full, not to its end; once the client
 * reads, all of it arrives. A small body is read whole before the handler runs (the same bytes through
 * `readJsonBody` and through the Request's own body); a client that leaves mid-body never reaches the handler.
 * A hot route's reply handler answers over the node request exactly as its route-file form (`asHandler`) does
 * with a web Request and Response.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '@/server/errors';
import { readJsonBody, type ApiRequest } from './body';
import { asHandler, json, reply, withErrorHandling, withErrorReply } from './errors';
import { createNodeServer } from './nodeAdapter';

const CHUNK = 64 * 1024;
const CHUNKS = 800; // 50 MiB
let close: (() => void) | undefined;
afterEach(() => close?.());

describe('the node:http adapter', () => {
  it('pulls a streamed response no faster than its client reads it', async () => {
    let pulled = 0;
    const server = createNodeServer([
      {
        method: 'GET',
        path: '/stream',
        handler: async () =>
          new Response(
            new ReadableStream<Uint8Array>({
              pull(c) {
                if (pulled++ >= CHUNKS) c.close();
                else c.enqueue(new Uint8Array(CHUNK));
              },
            }, { highWaterMark: 1 }),
          ),
      },
    ]);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => {
      server.closeAllConnections();
      server.close();
    };
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.pause();
    socket.write('GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await new Promise((r) => setTimeout(r, 400));
    expect(pulled).toBeLessThan(CHUNKS / 4);
    let received = 0;
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.resume();
    await new Promise((r) => socket.on('end', r));
    expect(pulled).toBe(CHUNKS + 1);
    expect(received).toBeGreaterThan(CHUNK * CHUNKS);
  });

  it('hands a small body whole to readJsonBody and to the Request, and never calls the handler for a body cut short', async () => {
    const seen: unknown[] = [];
    const server = createNodeServer([
      { method: 'POST', path: '/json', handler: withErrorHandling(async (req: Request) => (seen.push(await readJsonBody(req, 1024)), Response.json({ ok: true }))) },
      { method: 'POST', path: '/text', handler: async (req) => (seen.push(await req.text()), Response.json({ ok: true })) },
      // A route that reads only with readJsonBody gets the bytes beside the Request, and no web stream (an empty body is refused).
      { method: 'POST', path: '/aside', jsonBody: true, handler: withErrorHandling(async (req: Request) => (seen.push(req.body === null, await readJsonBody(req, 1024)), Response.json({ ok: true }))) },
    ]);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => {
      server.closeAllConnections();
      server.close();
    };
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body = JSON.stringify({ word: 'grüße', n: [1, 2, 3] });
    expect((await fetch(`${origin}/json`, { method: 'POST', body })).status).toBe(200);
    expect((await fetch(`${origin}/text`, { method: 'POST', body })).status).toBe(200);
    expect((await fetch(`${origin}/aside`, { method: 'POST', body })).status).toBe(200);
    const empty = await fetch(`${origin}/aside`, { method: 'POST', body: '' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe('request.empty_body');
    // Over the handler's limit, and malformed: the same refusals as a streamed body gets.
    const big = await fetch(`${origin}/json`, { method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(2000) }) });
    expect(big.status).toBe(413);
    const bad = await fetch(`${origin}/json`, { method: 'POST', body: '{"word": ' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('request.malformed_json');
    expect(seen).toEqual([{ word: 'grüße', n: [1, 2, 3] }, body, true, { word: 'grüße', n: [1, 2, 3] }]);

    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"half":');
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toHaveLength(4);
  });

  it('writes a json() answer as its text with its length, and still streams one whose body a handler read', async () => {
    const server = createNodeServer([
      { method: 'GET', path: '/made', handler: async () => json({ word: 'grüße', n: 1 }, 201, { 'x-extra': 'yes' }) },
      {
        method: 'GET',
        path: '/read',
        handler: async () => {
          const made = json({ a: 1 });
          const text = await made.text(); // its body is used: the adapter must not write the kept text as if it were not
          return new Response(`${text}!`, { status: 200 });
        },
      },
    ]);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => {
      server.closeAllConnections();
      server.close();
    };
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const made = await fetch(`${origin}/made`);
    const text = JSON.stringify({ word: 'grüße', n: 1 });
    expect(made.status).toBe(201);
    expect(made.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(made.headers.get('x-extra')).toBe('yes');
    expect(made.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await made.text()).toBe(text);
    const read = await fetch(`${origin}/read`);
    expect(await read.text()).toBe('{"a":1}!');
  });

  it('serves a reply handler over the node request with the answers its Request/Response form gives', async () => {
    // Reads what hot handlers read: a header, the method, the URL's query, the body (whole or streamed), and throws a SpineError.
    const echo = withErrorReply(async (req: ApiRequest, ctx: { params: Promise<{ id: string }> }) => {
      const body = (await readJsonBody(req, 200_000)) as { fail?: boolean; pad?: string };
      if (body.fail) throw new ValidationError('echo.refused', 'asked to fail', { why: 'test' });
      const { id } = await ctx.params;
      return reply({ id, method: req.method, q: new URL(req.url).searchParams.get('q'), auth: req.headers.get('authorization'), missing: req.headers.get('x-none'), size: body.pad?.length ?? 0 }, 201, { 'x-extra': 'yes' });
    });
    const server = createNodeServer([
      { method: 'POST', path: /^\/reply\/(?<id>[^/]+)$/, reply: echo },
      { method: 'POST', path: /^\/handler\/(?<id>[^/]+)$/, handler: asHandler(echo) },
    ]);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => {
      server.closeAllConnections();
      server.close();
    };
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const call = async (kind: string, body: string) => {
      const res = await fetch(`${origin}/${kind}/a%20b?q=1`, { method: 'POST', body, headers: { authorization: 'Bearer k', 'content-type': 'application/json' } });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), extra: res.headers.get('x-extra'), length: res.headers.get('content-length'), text };
    };
    // A small body (read whole), one over the adapter's whole-body size (streamed), a refusal, malformed JSON.
    for (const body of [JSON.stringify({ pad: 'ü' }), JSON.stringify({ pad: 'x'.repeat(100_000) }), JSON.stringify({ fail: true }), '{"pad":']) {
      const viaReply = await call('reply', body);
      expect(viaReply).toEqual(await call('handler', body));
      expect(viaReply.length).toBe(String(Buffer.byteLength(viaReply.text)));
    }
    const ok = await call('reply', JSON.stringify({ pad: 'ü' }));
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.text)).toEqual({ id: 'a b', method: 'POST', q: '1', auth: 'Bearer k', missing: null, size: 1 });
    const refused = await call('reply', JSON.stringify({ fail: true }));
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toEqual({ error: { code: 'echo.refused', message: 'asked to fail', details: { why: 'test' } } });
    expect((await call('reply', '{"pad":')).status).toBe(400);
  });
});
