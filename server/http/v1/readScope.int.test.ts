/**
 * Read scopes hold on every read route under /api/v1, over real HTTP on the selected database: a key
 * whose subscribe scope is `case.*` (and which carries the auditor and approver roles, so no route turns
 * it away by role) never receives an event of another type, nor an event summary (an envelope's history
 * entry), through any of them. A key that reads everything gets the other types through the same routes,
 * so the filter is what keeps them out. An export holds every event of its range, so it is refused to the
 * narrow key.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAudit } from '@/server/audit';
import { createAuthService } from '@/server/auth/service';
import { SYSTEM_ACTOR } from '@/server/auth/roles';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { matchesType } from '@/server/spine/events';
import { openHarness, waitForEvent, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { v1Routes } from '@/server/testing/v1Routes';
import { auditExportApi } from './auditExport';

let h: Harness;
let server: http.Server;
let origin: string;
let runId: string;
let approvalRunId: string;
const keys = { narrow: '', wide: '' };
const SCOPE = 'case.*';

beforeAll(async () => {
  h = await openHarness();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-read-scope-'));
  openAudit(h.spine, { keyFile: path.join(dir, 'key.pem'), journalFile: path.join(dir, 'journal.jsonl'), everyEvents: 5 });
  const auth = createAuthService({ db: h.db, spine: h.spine });
  const services = async () => ({ spine: h.spine, maxPayloadBytes: 65536, auth, engine: h.service });
  const exports = auditExportApi(services);
  server = createNodeServer([...v1Routes(services), { method: 'GET', path: '/api/v1/audit/export', handler: exports.export }]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const roles = ['auditor', 'approver'] as const;
  keys.narrow = (await auth.createKey({ name: 'narrow', scopes: { publish: [], subscribe: [SCOPE], startRuns: false, roles: [...roles] } }, SYSTEM_ACTOR)).secret;
  keys.wide = (await auth.createKey({ name: 'wide', scopes: { publish: [], subscribe: ['*'], startRuns: false, roles: [...roles] } }, SYSTEM_ACTOR)).secret;

  // A finished run with events of the narrow key's types among its own, and a run waiting for approval.
  runId = (await h.service.startRun('translation-after-sentiment', { input: { text: 'Thank you', to: 'de' }, intent: 'Translate it' }, 'seed')).runId;
  await waitForEvent(h.spine, runId, (e) => e.type === 'run.completed');
  await h.spine.append([
    { type: 'case.noted', runId, payload: { note: 'in scope' } },
    { type: 'booking.requested', runId, key: 'room:1', payload: { room: '1' } },
  ]);
  approvalRunId = (await h.service.startRun('procurement', { input: { amount: 500, quantity: 1 }, intent: 'Buy a chair' }, 'seed')).runId;
  await waitForEvent(h.spine, approvalRunId, (e) => e.type === 'approval.requested');
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

type Key = keyof typeof keys;

async function get(key: Key, route: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(origin + route, { headers: { authorization: `Bearer ${keys[key]}` } });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
}

/** Every event or event summary in a response: any object with a numeric `seq` and a string `type`. */
function eventTypes(body: unknown, out: string[] = []): string[] {
  if (Array.isArray(body)) for (const x of body) eventTypes(x, out);
  else if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (typeof o.seq === 'number' && typeof o.type === 'string') out.push(o.type);
    for (const v of Object.values(o)) eventTypes(v, out);
  }
  return out;
}

/** Reads the SSE stream until `n` events arrived or `ms` passed; returns their types. */
async function streamTypes(key: Key, query: string, n: number, ms: number, whileOpen: () => Promise<void>): Promise<string[]> {
  const ac = new AbortController();
  const res = await fetch(`${origin}/api/v1/events/stream${query}`, { headers: { authorization: `Bearer ${keys[key]}` }, signal: ac.signal });
  expect(res.status).toBe(200);
  const types: string[] = [];
  const timer = setTimeout(() => ac.abort(), ms);
  const reading = (async () => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      while (types.length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        for (let i; (i = buf.indexOf('\n\n')) >= 0; ) {
          const data = /^data: (.*)$/m.exec(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (data) types.push((JSON.parse(data[1]!) as { type: string }).type);
        }
      }
    } catch {
      // aborted at the deadline
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  })();
  await whileOpen();
  await reading;
  return types;
}

const inScope = (t: string) => matchesType(SCOPE, t);

describe(`read scopes on every /api/v1 read route (${testDbKind()})`, () => {
  const routes = () => [
    '/api/v1/events?limit=1000',
    `/api/v1/events?runId=${runId}&limit=1000`,
    `/api/v1/runs/${runId}`,
    `/api/v1/runs/${runId}/events`,
    `/api/v1/runs/${runId}/envelope`,
    `/api/v1/runs/${approvalRunId}`,
    `/api/v1/runs/${approvalRunId}/events`,
    `/api/v1/runs/${approvalRunId}/envelope`,
    '/api/v1/approvals',
    '/api/v1/workflows',
    '/api/v1/workflows/translation-after-sentiment',
    '/api/v1/audit/verify',
    '/api/v1/audit/export',
    `/api/v1/audit/export?runId=${runId}`,
  ];

  it('a key scoped to case.* receives no other event type through any read route', async () => {
    const leaks: Record<string, string[]> = {};
    for (const route of routes()) {
      const { status, body } = await get('narrow', route);
      expect([200, 403], `${route}: ${status}`).toContain(status);
      const types = typeof body === 'string' ? [...body.matchAll(/"type":"([^"]+)"/g)].map((m) => m[1]!) : eventTypes(body);
      const out = types.filter((t) => !inScope(t) && t !== 'spine.export' && t !== 'spine.checkpoint');
      if (out.length) leaks[route] = [...new Set(out)];
    }
    expect(leaks).toEqual({});
  });

  it('the narrow key gets what its scope covers; the wide key gets the rest too (the filter is what keeps it out)', async () => {
    const narrow = await get('narrow', `/api/v1/runs/${runId}/events`);
    expect(narrow.status).toBe(200);
    expect(eventTypes(narrow.body)).toEqual(['case.noted']);
    const wide = await get('wide', `/api/v1/runs/${runId}/events`);
    expect(eventTypes(wide.body)).toEqual(expect.arrayContaining(['run.started', 'case.noted', 'booking.requested', 'run.completed']));

    const env = (await get('narrow', `/api/v1/runs/${runId}/envelope`)).body as { history: { entries: { type: string }[]; omitted: number } };
    const wideEnv = (await get('wide', `/api/v1/runs/${runId}/envelope`)).body as typeof env;
    expect(env.history.entries.map((e) => e.type)).toEqual(['case.noted']);
    expect(wideEnv.history.entries.map((e) => e.type)).toContain('run.started');
    // The hidden entries are counted, not shown.
    expect(env.history.entries.length + env.history.omitted).toBe(wideEnv.history.entries.length + wideEnv.history.omitted);
    const run = (await get('narrow', `/api/v1/runs/${runId}`)).body as { status: string; envelope: typeof env };
    expect(run.status).toBe('completed');
    expect(run.envelope.history.entries.map((e) => e.type)).toEqual(['case.noted']);

    // Approvals (a role, not an event type, decides) are still listed to the approver key.
    expect(((await get('narrow', '/api/v1/approvals')).body as { approvals: { runId: string }[] }).approvals.map((a) => a.runId)).toContain(approvalRunId);
    expect((await get('narrow', '/api/v1/events?types=booking.*')).status).toBe(403);

    // An export holds every event type: refused to the narrow key, served to the wide one.
    expect(await get('narrow', '/api/v1/audit/export')).toMatchObject({ status: 403, body: { error: { code: 'auth.forbidden' } } });
    const exported = await get('wide', `/api/v1/audit/export?runId=${runId}`);
    expect(exported.status).toBe(200);
    expect(exported.body as string).toContain('"type":"booking.requested"');
  });

  it('the live stream sends the narrow key only its types, the wide key all of them', async () => {
    const head = await h.spine.head();
    const publish = async () => {
      for (let i = 0; i < 3; i++) await h.spine.append([{ type: 'booking.requested', key: `room:s${i}`, payload: { i } }, { type: 'case.noted', payload: { i } }]);
    };
    const narrow = await streamTypes('narrow', `?after=${head}`, 3, 5_000, publish);
    expect(narrow).toEqual(['case.noted', 'case.noted', 'case.noted']);
    const wide = await streamTypes('wide', `?after=${head}`, 6, 5_000, async () => undefined);
    expect(wide.filter((t) => t !== 'audit.checkpoint_signed').slice(0, 6)).toEqual(expect.arrayContaining(['booking.requested', 'case.noted']));
  });
});
