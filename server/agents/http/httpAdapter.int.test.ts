/**
 * The webhook agent against real HTTP servers on loopback: signed requests, idempotency header, status
 * codes steering retries, redirects not followed, and the outbound guard refusing private addresses
 * unless allow-listed (loopback is private, so these tests allow-list 127.0.0.1 explicitly).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@/server/net/webhooks';
import { outboundFetch } from '@/server/net/outbound';
import { HttpAdapter } from './httpAdapter';
import type { AgentTask } from '../adapter';

let server: http.Server;
let base: string;
let last: { headers: http.IncomingHttpHeaders; body: string } | undefined;
let respond: (res: http.ServerResponse) => void = (res) => res.end('{}');

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      last = { headers: req.headers, body };
      respond(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
afterEach(() => {
  delete process.env.SPINE_OUTBOUND_ALLOW;
  respond = (res) => res.end('{}');
});

const task: AgentTask = { runId: 'r1', nodeId: 'n1', attempt: 2, idempotencyKey: 'r1:n1:2', input: { q: 1 }, envelope: { runId: 'r1', intent: 'x', constraints: {}, deadline: null, state: { a: 1 }, version: 3, history: { entries: [], omitted: 0 } }, event: { seq: 9, id: 'e9', type: 'task.dispatched' } };
const agent = (config: Record<string, string>) => ({ name: 'hook', kind: 'http' as const, description: '', config });

describe('outbound guard over real sockets', () => {
  it('refuses loopback, localhost (resolved at connect time) and IPv6-mapped metadata addresses unless allowed', async () => {
    await expect(outboundFetch(base)).rejects.toMatchObject({ code: 'outbound.private_address', httpStatus: 403 });
    await expect(outboundFetch(base.replace('127.0.0.1', 'localhost'))).rejects.toMatchObject({ code: 'outbound.private_address' });
    await expect(outboundFetch('http://[::ffff:169.254.169.254]/latest/meta-data')).rejects.toMatchObject({ code: 'outbound.private_address' });
    await expect(outboundFetch('file:///etc/passwd')).rejects.toMatchObject({ code: 'outbound.scheme' });
    process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    expect((await outboundFetch(base)).status).toBe(200);
  });

  it('does not follow redirects', async () => {
    process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    respond = (res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    const res = await outboundFetch(base);
    expect(res.status).toBe(302);
  });
});

describe('HttpAdapter', () => {
  it('POSTs event, envelope and idempotency key, signed in the Standard Webhooks format, and returns the JSON answer', async () => {
    process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    respond = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"n":7}');
    const secret = 'whsec_' + Buffer.from('s3cret').toString('base64');
    const out = await new HttpAdapter().invoke(agent({ url: `${base}/agent`, secret }), task, new AbortController().signal);
    expect(out).toEqual({ ok: true, n: 7 });
    expect(last!.headers['idempotency-key']).toBe('r1:n1:2');
    expect(verifyWebhook(secret, last!.headers as Record<string, string>, last!.body)).toBe(true);
    expect(JSON.parse(last!.body)).toMatchObject({ idempotencyKey: 'r1:n1:2', envelope: { version: 3 }, input: { q: 1 }, event: { seq: 9 } });
  });

  it('maps statuses to retry behaviour: 4xx not retryable, 429 retry-after, 5xx retryable, private URL not retryable', async () => {
    process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    const a = agent({ url: base });
    const sig = new AbortController().signal;
    respond = (res) => res.writeHead(422).end('bad input');
    await expect(new HttpAdapter().invoke(a, task, sig)).rejects.toMatchObject({ nonRetryable: true });
    respond = (res) => res.writeHead(429, { 'retry-after': '2' }).end();
    await expect(new HttpAdapter().invoke(a, task, sig)).rejects.toMatchObject({ retryAfterMs: 2000 });
    respond = (res) => res.writeHead(503).end();
    await expect(new HttpAdapter().invoke(a, task, sig)).rejects.not.toMatchObject({ nonRetryable: true });
    delete process.env.SPINE_OUTBOUND_ALLOW;
    await expect(new HttpAdapter().invoke(a, task, sig)).rejects.toMatchObject({ nonRetryable: true, message: expect.stringMatching(/refused/) });
  });
});
