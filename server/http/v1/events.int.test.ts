/**
 * The public events API over real HTTP on loopback, on the selected database: publish (JSON and
 * CloudEvents), idempotent repeats, bad input that appends nothing, paging, and the SSE stream resuming
 * from Last-Event-ID without gap or duplicate.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSpine, type Spine } from '@/server/spine';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { auditApi } from './audit';
import { eventsApi } from './events';
import { runsApi } from './runs';

let spine: Spine;
let server: http.Server;
let base: string;
const MAX = 4096;

beforeAll(async () => {
  spine = await openSpine({ databaseUrl: await freshDatabaseUrl(), maxPayloadBytes: MAX });
  const services = async () => ({ spine, maxPayloadBytes: MAX });
  const events = eventsApi(services);
  server = createNodeServer([
    { method: 'POST', path: '/api/v1/events', handler: events.post },
    { method: 'GET', path: '/api/v1/events', handler: events.list },
    { method: 'GET', path: '/api/v1/events/stream', handler: events.stream },
    { method: 'GET', path: '/api/v1/audit/verify', handler: auditApi(services).verify },
    { method: 'GET', path: /^\/api\/v1\/runs\/(?<runId>[^/]+)\/envelope$/, handler: runsApi(services).envelope },
  ]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await spine.close();
});

const post = (body: string, contentType = 'application/json') => fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': contentType }, body });

async function readSse(res: Response, n: number): Promise<{ id: number; data: { seq: number; type: string } }[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const out: { id: number; data: { seq: number; type: string } }[] = [];
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    // One chunk may carry more messages than asked for: take exactly n.
    while (out.length < n && (i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const id = /^id: (\d+)$/m.exec(block);
      const data = /^data: (.*)$/m.exec(block);
      if (id && data) out.push({ id: Number(id[1]), data: JSON.parse(data[1]!) });
    }
  }
  await reader.cancel();
  return out;
}

describe(`HTTP API v1 events (${testDbKind()})`, () => {
  it('POST appends and returns 201 {seq, id}; a repeated idempotencyKey returns 200 with the original', async () => {
    const first = await post(JSON.stringify({ type: 'order.placed', key: 'order:1', payload: { total: 12 }, idempotencyKey: 'ord-1' }));
    expect(first.status).toBe(201);
    const a = (await first.json()) as { seq: number; id: string };
    const again = await post(JSON.stringify({ type: 'order.placed', key: 'order:1', payload: { total: 12 }, idempotencyKey: 'ord-1' }));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(a);
  });

  it('bad input gets a 4xx with {error:{code,message}} and appends nothing', async () => {
    const before = await spine.head();
    const cases: [RequestInit & { path?: string }, number, string][] = [
      [{ body: '{"type": "a.b",' }, 400, 'request.malformed_json'],
      [{ body: '' }, 400, 'request.empty_body'],
      [{ body: JSON.stringify({ type: 'a.b', surprise: 1 }) }, 400, 'event.invalid'],
      [{ body: JSON.stringify({ type: 'NoDots' }) }, 400, 'event.invalid'],
      [{ body: JSON.stringify({ type: 'a.b', payload: { s: 'x'.repeat(MAX) } }) }, 413, 'event.payload_too_large'],
      [{ body: JSON.stringify({ type: 'a.b', payload: { s: 'x'.repeat(MAX * 10) } }) }, 413, 'request.too_large'],
      [{ body: JSON.stringify({ type: 'a.b' }), headers: { 'content-type': 'text/plain' } }, 415, 'request.unsupported_media_type'],
      [{ body: JSON.stringify({ type: 'context.patched', runId: 'r', payload: { patch: 'no' } }) }, 403, 'event.reserved_type'],
      [{ body: JSON.stringify({ type: 'run.completed', runId: 'r', payload: {} }) }, 403, 'event.reserved_type'],
      [{ body: JSON.stringify({ type: 'a.b', source: { kind: 'engine', name: 'engine' } }) }, 400, 'event.source_not_allowed'],
    ];
    for (const [init, status, code] of cases) {
      const res = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...(init.headers as object) }, body: init.body });
      expect({ status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code }).toEqual({ status, code });
    }
    for (const [query, code] of [['after=-1', 'request.invalid_query'], ['after=abc', 'request.invalid_query'], ['limit=0', 'request.invalid_query'], ['types=Bad Type', 'request.invalid_query'], ['nope=1', 'request.invalid_query']]) {
      const res = await fetch(`${base}/events?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(await spine.head()).toBe(before);
  });

  it('accepts a structured CloudEvent and can return events as CloudEvents', async () => {
    const ce = { specversion: '1.0', id: 'ce-1', source: '/agents/pricing', type: 'price.quoted', subject: 'sku:9', data: { eur: 10 } };
    const res = await post(JSON.stringify(ce), 'application/cloudevents+json');
    expect(res.status).toBe(201);
    const { seq } = (await res.json()) as { seq: number };
    expect((await post(JSON.stringify(ce), 'application/cloudevents+json')).status).toBe(200);
    const page = (await (await fetch(`${base}/events?after=${seq - 1}&limit=1&format=cloudevents`)).json()) as { events: Record<string, unknown>[] };
    // The producer's source URI is its context (kept in the dedupe key); the event's source is the caller.
    expect(page.events[0]).toMatchObject({ specversion: '1.0', type: 'price.quoted', subject: 'sku:9', data: { eur: 10 }, seq, source: '/spine/system/system' });
    expect(page.events[0]!.idempotencykey).toContain('ce:/agents/pricing:ce-1');
    const bad = await post(JSON.stringify({ ...ce, specversion: '0.3' }), 'application/cloudevents+json');
    expect(bad.status).toBe(400);
  });

  it('GET pages by cursor with nextAfter and filters by type pattern and key', async () => {
    for (let i = 0; i < 5; i++) await spine.publish({ type: 'page.item', key: i % 2 ? 'odd' : 'even', payload: { i } });
    const all = (await (await fetch(`${base}/events?types=page.*&limit=2`)).json()) as { events: { seq: number }[]; nextAfter: number };
    expect(all.events).toHaveLength(2);
    const next = (await (await fetch(`${base}/events?types=page.*&after=${all.nextAfter}&limit=10`)).json()) as { events: { seq: number; payload: { i: number } }[] };
    expect(next.events.map((e) => e.payload.i)).toEqual([2, 3, 4]);
    const odd = (await (await fetch(`${base}/events?types=page.item&key=odd`)).json()) as { events: { payload: { i: number } }[] };
    expect(odd.events.map((e) => e.payload.i)).toEqual([1, 3]);
  });

  it('the SSE stream sends id: <seq>, and reconnecting with Last-Event-ID resumes without gap or duplicate', async () => {
    const start = await spine.head();
    const first = await fetch(`${base}/events/stream?after=${start}&types=sse.*`);
    expect(first.headers.get('content-type')).toMatch(/text\/event-stream/);
    const firstRead = readSse(first, 3);
    // The seqs the ticks got: other appends (an audit checkpoint being signed) may take seqs in between.
    const ticks: number[] = [];
    for (let i = 0; i < 6; i++) ticks.push((await spine.publish({ type: 'sse.tick', payload: { i } })).seq);
    const got = await firstRead;
    expect(got.map((m) => m.id)).toEqual(ticks.slice(0, 3));
    expect(got.every((m) => m.data.seq === m.id)).toBe(true);
    const resumed = await fetch(`${base}/events/stream?types=sse.*`, { headers: { 'last-event-id': String(got[2]!.id) } });
    const rest = await readSse(resumed, 3);
    expect(rest.map((m) => m.id)).toEqual(ticks.slice(3));
    const bad = await fetch(`${base}/events/stream`, { headers: { 'last-event-id': 'x' } });
    expect(bad.status).toBe(400);
  });

  it('verify reports an intact chain; the envelope endpoint serves a run or a 404', async () => {
    const head = await spine.head();
    const v = (await (await fetch(`${base}/audit/verify`)).json()) as { ok: boolean; checked: number; toSeq: number };
    // The audit service opened by the first verify may sign (and append) a checkpoint meanwhile.
    expect(v).toMatchObject({ ok: true, firstBadSeq: null, fromSeq: 1, checked: v.toSeq });
    expect(v.toSeq).toBeGreaterThanOrEqual(head);
    await spine.publish({ type: 'run.started', runId: 'api-run', payload: { intent: 'test', state: { a: 1 } } });
    const env = await fetch(`${base}/runs/api-run/envelope`);
    expect(await env.json()).toMatchObject({ runId: 'api-run', intent: 'test', version: 1, state: { a: 1 } });
    expect((await fetch(`${base}/runs/none/envelope`)).status).toBe(404);
    expect((await fetch(`${base}/audit/verify?from=5&to=2`)).status).toBe(400);
  });
});
