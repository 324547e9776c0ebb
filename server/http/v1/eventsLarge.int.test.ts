/**
 * Large payloads over the public events API, real HTTP on loopback, on the selected database: a 5 MiB
 * payload is accepted (stored by reference), read back whole, and one over the configured maximum gets
 * 413 `event.payload_too_large` and appends nothing. The body limit follows the maximum, not a fixed size.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSpine, type Spine } from '@/server/spine';
import { canonicalJson } from '@/server/spine/log/hashChain';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { readEnv } from '@/server/env';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { eventsApi } from './events';

const MiB = 1024 * 1024;
const MAX = 8 * MiB;
let spine: Spine;
let server: http.Server;
let base: string;

beforeAll(async () => {
  spine = await openSpine({ databaseUrl: await freshDatabaseUrl(), maxPayloadBytes: MAX });
  const events = eventsApi(async () => ({ spine, maxPayloadBytes: MAX }));
  server = createNodeServer([
    { method: 'POST', path: '/api/v1/events', handler: events.post },
    { method: 'GET', path: '/api/v1/events', handler: events.list },
  ]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await spine.close();
});

const post = (payload: unknown) => fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'doc.attached', payload }) });

describe(`POST /api/v1/events with large payloads (${testDbKind()})`, () => {
  it('accepts a 5 MiB payload and serves it back whole', async () => {
    const payload = { title: 'report', body: 'Ärger über Bücher. '.repeat((5 * MiB) / 20) };
    const res = await post(payload);
    expect(res.status).toBe(201);
    const { seq } = (await res.json()) as { seq: number };
    const list = await fetch(`${base}/events?after=${seq - 1}&limit=1`);
    const [event] = ((await list.json()) as { events: { seq: number; payload: unknown }[] }).events;
    expect(event!.seq).toBe(seq);
    expect(canonicalJson(event!.payload)).toBe(canonicalJson(payload));
    expect(await spine.verify()).toMatchObject({ ok: true });
  }, 60_000);

  it('refuses a payload just over the maximum with 413 event.payload_too_large and appends nothing', async () => {
    const before = await spine.head();
    const res = await post({ body: 'x'.repeat(MAX) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('event.payload_too_large');
    expect(await spine.head()).toBe(before);
  }, 60_000);
});

describe('configuration', () => {
  it('defaults to a 64 MiB maximum and a 64 KiB inline limit, and refuses nonsense', () => {
    const e = readEnv({});
    expect({ max: e.SPINE_MAX_PAYLOAD_BYTES, inline: e.SPINE_INLINE_PAYLOAD_BYTES }).toEqual({ max: 64 * MiB, inline: 64 * 1024 });
    expect(readEnv({ SPINE_INLINE_PAYLOAD_BYTES: '4096' }).SPINE_INLINE_PAYLOAD_BYTES).toBe(4096);
    expect(() => readEnv({ SPINE_INLINE_PAYLOAD_BYTES: 'lots' })).toThrow(/SPINE_INLINE_PAYLOAD_BYTES/);
    expect(() => readEnv({ SPINE_MAX_PAYLOAD_BYTES: String(2 ** 31) })).toThrow(/SPINE_MAX_PAYLOAD_BYTES/);
  });
});
