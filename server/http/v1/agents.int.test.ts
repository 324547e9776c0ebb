/**
 * `/api/v1/agents` over real HTTP: who may register (architect and admin; operators and auditors 403),
 * what a bad body gets (malformed JSON, an invalid schema, an unknown kind: 400, nothing written), and that
 * no secret is ever in a response or an event.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService, SESSION_COOKIE, type AuthService } from '@/server/auth/service';
import { ROLES } from '@/server/auth/roles';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { v1Routes } from '@/server/testing/v1Routes';

let h: Harness;
let auth: AuthService;
let server: http.Server;
let origin: string;
const cookies: Record<string, string> = {};
const SECRET = 'whsec_api_secret_never_shown';
const TOKEN = 'Bearer tok_never_shown_either';
const bodies: string[] = [];

beforeAll(async () => {
  h = await openHarness();
  auth = createAuthService({ db: h.db, spine: h.spine });
  await auth.bootstrap({ demoUsers: true });
  server = createNodeServer(v1Routes(async () => ({ spine: h.spine, maxPayloadBytes: 65536, auth, engine: h.service })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const role of ROLES) cookies[role] = `${SESSION_COOKIE}=${(await auth.signIn({ email: `${role}@demo.spine`, password: `spine-demo-${role}` })).token}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

async function call(role: (typeof ROLES)[number], method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const headers: Record<string, string> = { origin, cookie: cookies[role]! };
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(origin + path, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

const hook = (name: string) => ({ name, kind: 'http', description: 'Contract reader', config: { url: 'https://agents.example/hook', secret: SECRET, headers: { authorization: TOKEN } }, outputSchema: { type: 'object', properties: { risk: { type: 'string' } } } });

describe(`/api/v1/agents (${testDbKind()})`, () => {
  it('auditor and operator get 403 on POST; architect gets 201; everyone signed in reads', async () => {
    expect((await call('auditor', 'POST', '/api/v1/agents', hook('by-auditor'))).status).toBe(403);
    expect((await call('operator', 'POST', '/api/v1/agents', hook('by-operator'))).status).toBe(403);
    const made = await call('architect', 'POST', '/api/v1/agents', hook('contracts'));
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ name: 'contracts', kind: 'http', version: 1, config: { secret: '••••••', headers: { authorization: '••••••' } } });
    for (const role of ROLES) expect((await call(role, 'GET', '/api/v1/agents/contracts')).status).toBe(200);
    const list = await call('auditor', 'GET', '/api/v1/agents');
    expect((list.json.agents as { name: string }[]).map((a) => a.name)).toContain('contracts');
    expect(await h.db.agent.findUnique({ where: { name: 'by-auditor' } })).toBeNull();
    expect(await h.db.agent.findUnique({ where: { name: 'by-operator' } })).toBeNull();
  });

  it('PATCH and DELETE: architect and admin only; a config change makes version 2 and the versions list shows both', async () => {
    expect((await call('operator', 'PATCH', '/api/v1/agents/contracts', { description: 'x' })).status).toBe(403);
    const patched = await call('admin', 'PATCH', '/api/v1/agents/contracts', { config: { url: 'https://agents.example/v2', secret: '••••••', headers: { authorization: '••••••' } } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ version: 2, config: { url: 'https://agents.example/v2', secret: '••••••' } });
    expect((await h.service.agents.resolve('contracts')).agent.config.secret).toBe(SECRET);
    const versions = await call('auditor', 'GET', '/api/v1/agents/contracts/versions');
    expect((versions.json.versions as { version: number }[]).map((v) => v.version)).toEqual([2, 1]);
    expect((await call('auditor', 'DELETE', '/api/v1/agents/contracts')).status).toBe(403);
    const removed = await call('architect', 'DELETE', '/api/v1/agents/contracts');
    expect(removed).toMatchObject({ status: 200, json: { removed: true } });
    expect((await call('auditor', 'GET', '/api/v1/agents/contracts')).json).toMatchObject({ removed: true });
    expect((await call('auditor', 'GET', '/api/v1/agents/nobody')).status).toBe(404);
  });

  it('bad bodies: malformed JSON, invalid schema, unknown kind, bad config are 400 with a code, and nothing is written', async () => {
    const head = await h.spine.head();
    expect(await call('architect', 'POST', '/api/v1/agents', undefined, '{"name": "x",')).toMatchObject({ status: 400, json: { error: { code: 'request.malformed_json' } } });
    expect(await call('architect', 'POST', '/api/v1/agents', { ...hook('bad-schema'), outputSchema: { type: 'objekt' } })).toMatchObject({ status: 400, json: { error: { code: 'agent.invalid_schema', message: expect.stringContaining('outputSchema') } } });
    expect(await call('architect', 'POST', '/api/v1/agents', { name: 'bad-kind', kind: 'telepathy' })).toMatchObject({ status: 400, json: { error: { code: 'agent.invalid', message: expect.stringContaining('kind') } } });
    expect(await call('architect', 'POST', '/api/v1/agents', { name: 'bad-url', kind: 'http', config: { url: 'not a url' } })).toMatchObject({ status: 400, json: { error: { code: 'agent.invalid_config', message: expect.stringContaining('config.url') } } });
    expect(await call('architect', 'PATCH', '/api/v1/agents/case-law', { inputSchema: { required: 'yes' } })).toMatchObject({ status: 400, json: { error: { code: 'agent.invalid_schema' } } });
    expect(await h.spine.head()).toBe(head);
    expect(await h.db.agent.count({ where: { name: { in: ['bad-schema', 'bad-kind', 'bad-url'] } } })).toBe(0);
  });

  it('no secret is in any response or in any event', async () => {
    const events = await h.spine.read({ after: 0, limit: 10_000 });
    const everything = bodies.join('\n') + JSON.stringify(events);
    expect(everything).not.toContain('api_secret_never_shown');
    expect(everything).not.toContain('tok_never_shown_either');
    expect(events.filter((e) => e.type.startsWith('agent.')).map((e) => [e.type, e.source.name])).toEqual([
      ['agent.registered', 'architect@demo.spine'],
      ['agent.changed', 'admin@demo.spine'],
      ['agent.removed', 'architect@demo.spine'],
    ]);
  });
});
