/**
 * The engine harness behind real authentication, served over node:http on loopback: demo users signed in
 * with their passwords (a session cookie each) and API keys with the scopes a test gives them, each a
 * `Principal` that calls `/api/v1` as itself. Nothing is authorized as SYSTEM on the way in.
 *
 * @example
 * const api = await openApiHarness();
 * const intake = await api.key('intake', { publish: ['case.*'] });
 * const { status } = await intake.post('/api/v1/events', { type: 'case.opened', payload: {} });
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { createAuthService, type AuthService } from '@/server/auth/service';
import { SYSTEM_ACTOR, type KeyScopes, type Role } from '@/server/auth/roles';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { sessionApi } from '@/server/http/v1/session';
import type { EventSource } from '@/server/spine/events';
import { openHarness, type Harness } from './engineHarness';
import { v1Routes } from './v1Routes';

/** A response: its status and parsed JSON body. */
export type ApiReply<T = Record<string, unknown>> = { status: number; body: T & { error?: { code: string; message: string } } };

/** Someone calling the API: a signed-in person (cookie) or an API key (bearer). */
export type Principal = {
  /** The name the log records for them (`ada@demo.spine`, `key:intake`). */
  name: string;
  /** The source the server assigns to what they publish. */
  source: EventSource;
  request<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, contentType?: string): Promise<ApiReply<T>>;
  /** POSTs `body` as JSON (or as `contentType`, e.g. application/cloudevents+json). */
  post<T = Record<string, unknown>>(path: string, body?: unknown, contentType?: string): Promise<ApiReply<T>>;
  get<T = Record<string, unknown>>(path: string): Promise<ApiReply<T>>;
};

export type ApiHarness = Harness & {
  auth: AuthService;
  origin: string;
  /** Signs in the demo user of this role (`<role>@demo.spine`) with its password. */
  user(role: Role): Promise<Principal>;
  /** Creates an API key `key:<name>` (nothing allowed unless given) and returns it as a principal. */
  key(name: string, scopes: Partial<KeyScopes>): Promise<Principal>;
};

export async function openApiHarness(opts: Parameters<typeof openHarness>[0] = {}): Promise<ApiHarness> {
  const h = await openHarness(opts);
  const auth = createAuthService({ db: h.db, spine: h.spine });
  await auth.bootstrap({ demoUsers: true });
  const services = async () => ({ spine: h.spine, maxPayloadBytes: 65536, auth, engine: h.service, db: h.db });
  const server: http.Server = createNodeServer([{ method: 'POST', path: '/api/auth/sign-in', handler: sessionApi(services).signIn }, ...v1Routes(services)]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const principal = (name: string, source: EventSource, credentials: Record<string, string>): Principal => {
    const request = async <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, contentType = 'application/json'): Promise<ApiReply<T>> => {
      const res = await fetch(origin + path, {
        method,
        headers: { origin, ...credentials, ...(method !== 'GET' && { 'content-type': contentType }) },
        ...(method !== 'GET' && { body: JSON.stringify(body ?? {}) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as ApiReply<T>['body'] };
    };
    return { name, source, request, post: (path, body, contentType) => request('POST', path, body, contentType), get: (path) => request('GET', path) };
  };

  return {
    ...h,
    auth,
    origin,
    async user(role) {
      const email = `${role}@demo.spine`;
      const res = await fetch(`${origin}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email, password: `spine-demo-${role}` }) });
      if (res.status !== 200) throw new Error(`sign-in of ${email} answered ${res.status}: ${await res.text()}`);
      return principal(email, { kind: 'user', name: email }, { cookie: res.headers.get('set-cookie')!.split(';')[0]! });
    },
    async key(name, scopes) {
      const { secret } = await auth.createKey({ name, scopes: { publish: [], subscribe: [], startRuns: false, roles: [], ...scopes } }, SYSTEM_ACTOR);
      return principal(`key:${name}`, { kind: 'apiKey', name: `key:${name}` }, { authorization: `Bearer ${secret}` });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await h.close();
    },
  };
}
