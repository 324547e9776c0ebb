/**
 * The authorization matrix over real HTTP: every public route × every role, anonymous, and API keys with
 * and without the right scope, against the expected allow or deny. Also sign-in (cookie), its rate limit,
 * CSRF on cookie-authenticated writes, and that admin changes are events on the spine.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService, type AuthService } from '@/server/auth/service';
import { ROLES, SYSTEM_ACTOR } from '@/server/auth/roles';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { approvalsApi } from './approvals';
import { auditApi } from './audit';
import { eventsApi } from './events';
import { runsApi } from './runs';
import { sessionApi } from './session';
import { workflowsApi } from './workflows';

let h: Harness;
let auth: AuthService;
let server: http.Server;
let origin: string;
const cookies: Record<string, string> = {};
const keys: Record<string, string> = {};
let runId: string;

beforeAll(async () => {
  h = await openHarness();
  auth = createAuthService({ db: h.db, spine: h.spine });
  await auth.bootstrap({ demoUsers: true });
  const services = async () => ({ spine: h.spine, maxPayloadBytes: 65536, auth, engine: h.service });
  const ev = eventsApi(services);
  const runs = runsApi(services);
  const appr = approvalsApi(services);
  const wf = workflowsApi(services);
  const sess = sessionApi(services);
  server = createNodeServer([
    { method: 'POST', path: '/api/auth/sign-in', handler: sess.signIn },
    { method: 'GET', path: '/api/auth/me', handler: sess.me },
    { method: 'POST', path: '/api/v1/events', handler: ev.post },
    { method: 'GET', path: '/api/v1/events', handler: ev.list },
    { method: 'GET', path: '/api/v1/audit/verify', handler: auditApi(services).verify },
    { method: 'GET', path: '/api/v1/workflows', handler: wf.list },
    { method: 'POST', path: /^\/api\/v1\/workflows\/(?<workflowId>[^/]+)\/runs$/, handler: runs.start },
    { method: 'GET', path: /^\/api\/v1\/runs\/(?<runId>[^/]+)$/, handler: runs.get },
    { method: 'POST', path: /^\/api\/v1\/runs\/(?<runId>[^/]+)\/cancel$/, handler: runs.cancel },
    { method: 'GET', path: '/api/v1/approvals', handler: appr.list },
    { method: 'POST', path: /^\/api\/v1\/approvals\/(?<approvalId>[^/]+)\/decision$/, handler: appr.decide },
  ]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const role of ROLES) {
    const res = await fetch(`${origin}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email: `${role}@demo.spine`, password: `spine-demo-${role}` }) });
    expect(res.status).toBe(200);
    cookies[role] = res.headers.get('set-cookie')!.split(';')[0]!;
  }
  keys.publisher = (await auth.createKey({ name: 'pub', scopes: { publish: ['case.*'], subscribe: ['case.*'], startRuns: false, roles: [] } }, SYSTEM_ACTOR)).secret;
  keys.starter = (await auth.createKey({ name: 'starter', scopes: { publish: [], subscribe: ['*'], startRuns: true, roles: [] } }, SYSTEM_ACTOR)).secret;
  runId = (await h.service.startRun('procurement', { input: { amount: 1 } }, 'seed')).runId;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

type Who = (typeof ROLES)[number] | 'anonymous' | 'key:publisher' | 'key:starter' | 'key:revoked';

async function call(who: Who, method: string, path: string, body?: unknown): Promise<number> {
  const headers: Record<string, string> = { origin };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (who.startsWith('key:')) headers.authorization = `Bearer ${keys[who.slice(4)]}`;
  else if (who !== 'anonymous') headers.cookie = cookies[who]!;
  const res = await fetch(origin + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

const ALL: Who[] = [...ROLES, 'anonymous', 'key:publisher', 'key:starter'];

describe(`authorization matrix (${testDbKind()})`, () => {
  const routes: { name: string; method: string; path: () => string; body?: unknown; allowed: Who[] }[] = [
    { name: 'publish case.noted', method: 'POST', path: () => '/api/v1/events', body: { type: 'case.noted', payload: {} }, allowed: ['admin', 'operator', 'key:publisher'] },
    { name: 'publish booking.requested', method: 'POST', path: () => '/api/v1/events', body: { type: 'booking.requested', key: 'room:x', payload: { room: 'x' } }, allowed: ['admin', 'operator'] },
    { name: 'read events', method: 'GET', path: () => '/api/v1/events?limit=1', allowed: [...ROLES, 'key:publisher', 'key:starter'] },
    { name: 'read booking events', method: 'GET', path: () => '/api/v1/events?limit=1&types=booking.*', allowed: [...ROLES, 'key:starter'] },
    { name: 'read case events', method: 'GET', path: () => '/api/v1/events?limit=1&types=case.*', allowed: [...ROLES, 'key:publisher', 'key:starter'] },
    { name: 'verify audit chain', method: 'GET', path: () => '/api/v1/audit/verify', allowed: ['admin', 'auditor'] },
    { name: 'list workflows', method: 'GET', path: () => '/api/v1/workflows', allowed: [...ROLES, 'key:publisher', 'key:starter'] },
    { name: 'start a run', method: 'POST', path: () => '/api/v1/workflows/translation-after-sentiment/runs', body: { input: { text: 'hi' } }, allowed: ['admin', 'operator', 'key:starter'] },
    { name: 'read a run', method: 'GET', path: () => `/api/v1/runs/${runId}`, allowed: [...ROLES, 'key:publisher', 'key:starter'] },
    { name: 'list approvals', method: 'GET', path: () => '/api/v1/approvals', allowed: ['admin', 'approver', 'auditor'] },
    { name: 'decide an approval', method: 'POST', path: () => '/api/v1/approvals/nope%3Ax/decision', body: { decision: 'approve' }, allowed: ['admin', 'approver'] },
  ];

  for (const r of routes) {
    it(`${r.name}: allowed for ${r.allowed.join(', ')}; denied for the rest`, async () => {
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const who of ALL) {
        const status = await call(who, r.method, r.path(), r.body);
        got[who] = status === 401 ? '401' : status === 403 ? '403' : 'allowed';
        want[who] = who === 'anonymous' ? '401' : r.allowed.includes(who) ? 'allowed' : '403';
      }
      expect(got).toEqual(want);
    });
  }

  it('a key with a narrow subscribe scope reads only what it covers', async () => {
    await h.spine.append([{ type: 'case.opened', payload: {} }, { type: 'booking.requested', key: 'room:q', payload: { room: 'q' } }]);
    const res = await fetch(`${origin}/api/v1/events?limit=1000`, { headers: { authorization: `Bearer ${keys.publisher}` } });
    const types = new Set(((await res.json()) as { events: { type: string }[] }).events.map((e) => e.type));
    expect(types.size).toBeGreaterThan(0);
    expect([...types].every((t) => t.startsWith('case.'))).toBe(true);
  });

  it('cancel: operators only; auditors can read but change nothing', async () => {
    expect(await call('auditor', 'POST', `/api/v1/runs/${runId}/cancel`)).toBe(403);
    expect(await call('approver', 'POST', `/api/v1/runs/${runId}/cancel`)).toBe(403);
    expect(await call('operator', 'POST', `/api/v1/runs/${runId}/cancel`)).toBe(200);
  });

  it('a revoked key and a made-up key get 401', async () => {
    const k = await auth.createKey({ name: 'temp', scopes: { publish: ['*'], subscribe: ['*'], startRuns: true, roles: [] } }, SYSTEM_ACTOR);
    keys.revoked = k.secret;
    expect(await call('key:revoked', 'GET', '/api/v1/workflows')).toBe(200);
    await auth.revokeKey(k.id, SYSTEM_ACTOR);
    expect(await call('key:revoked', 'GET', '/api/v1/workflows')).toBe(401);
    keys.revoked = 'spk_made_up_value_that_is_long_enough';
    expect(await call('key:revoked', 'GET', '/api/v1/workflows')).toBe(401);
  });

  it('a cookie-authenticated write from another origin is refused (CSRF); a keyed one is not affected', async () => {
    const res = await fetch(`${origin}/api/v1/events`, { method: 'POST', headers: { cookie: cookies.operator!, origin: 'https://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ type: 'case.noted' }) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('auth.csrf');
  });

  it('sign-in: wrong passwords are rate limited; the event source is the signed-in person; admin changes are events', async () => {
    const bad = () => fetch(`${origin}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email: 'auditor@demo.spine', password: 'wrong-password' }) });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await bad()).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    // The client's budget is spent too, and a made-up X-Forwarded-For does not buy a new one (no proxy is
    // trusted here): another person's correct password from the same peer is refused as well.
    const spoofed = await fetch(`${origin}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json', origin, 'x-forwarded-for': '203.0.113.77' }, body: JSON.stringify({ email: 'operator@demo.spine', password: 'spine-demo-operator' }) });
    expect(spoofed.status).toBe(429);
    const before = await h.spine.head();
    await call('operator', 'POST', '/api/v1/events', { type: 'case.noted', payload: { by: 'op' } });
    const [e] = await h.spine.read({ after: before, limit: 1 });
    expect(e).toMatchObject({ type: 'case.noted', source: { kind: 'user', name: 'operator@demo.spine' } });
    const audit = await h.spine.read({ after: 0, limit: 1000, filter: { types: ['user.*', 'apikey.*', 'auth.*'] } });
    expect(audit.some((x) => x.type === 'user.created')).toBe(true);
    expect(audit.some((x) => x.type === 'apikey.revoked')).toBe(true);
    expect(JSON.stringify(audit)).not.toMatch(/spk_|spine-demo-|scrypt\$/);
  });
});
