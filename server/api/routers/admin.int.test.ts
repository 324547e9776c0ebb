/**
 * People, roles and API keys through the real routers (createCaller) on the selected database: the
 * authorization matrix of the session, approvals and admin procedures (every role, anonymous, a key),
 * an admin creating, re-roling and disabling a person, a key's secret shown once and working until it
 * is revoked, changing one's own password, and every change recorded as an event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import { ROLES, SYSTEM_ACTOR, type Actor, type Role } from '@/server/auth/roles';
import { createAuthService, type AuthService } from '@/server/auth/service';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

let h: Harness;
let auth: AuthService;
const actors: Record<string, Actor | null> = { anonymous: null };

const bearer = (token: string) => new Request('http://spine.test/', { headers: { authorization: `Bearer ${token}` } });
const api = (actor: Actor | null) => createCaller(createContextInner({ actor, services: { spine: h.spine, engine: h.service, auth } }));

beforeAll(async () => {
  h = await openHarness();
  auth = createAuthService({ db: h.db, spine: h.spine });
  await auth.bootstrap({ demoUsers: true });
  for (const role of ROLES) {
    const { token } = await auth.signIn({ email: `${role}@demo.spine`, password: `spine-demo-${role}` });
    actors[role] = await auth.authenticate(bearer(token));
  }
  const key = await auth.createKey({ name: 'reader', scopes: { publish: [], subscribe: ['*'], startRuns: true, roles: [] } }, SYSTEM_ACTOR);
  actors['key:no-roles'] = await auth.authenticate(bearer(key.secret));
});
afterAll(() => h.close());

type Who = Role | 'anonymous' | 'key:no-roles';
const EVERYONE: Who[] = [...ROLES, 'anonymous', 'key:no-roles'];

/** Which callers each procedure admits; everyone else gets FORBIDDEN (or UNAUTHORIZED when anonymous). */
const MATRIX: { name: string; allowed: Who[]; call: (a: ReturnType<typeof api>) => Promise<unknown> }[] = [
  { name: 'session.me', allowed: EVERYONE, call: (a) => a.session.me() },
  { name: 'approvals.inbox', allowed: ['admin', 'approver', 'auditor'], call: (a) => a.approvals.inbox() },
  { name: 'approvals.get', allowed: ['admin', 'approver', 'auditor'], call: (a) => a.approvals.get({ approvalId: 'missing-run:gate' }) },
  { name: 'approvals.decide', allowed: ['admin', 'approver'], call: (a) => a.approvals.decide({ approvalId: 'missing-run:gate', decision: 'approve' }) },
  { name: 'admin.users.list', allowed: ['admin'], call: (a) => a.admin.users.list() },
  { name: 'admin.users.create', allowed: ['admin'], call: (a) => a.admin.users.create({ email: 'x@demo.spine', name: 'x', password: 'short', roles: [] }) },
  { name: 'admin.users.setRoles', allowed: ['admin'], call: (a) => a.admin.users.setRoles({ userId: 'missing', roles: [] }) },
  { name: 'admin.users.setDisabled', allowed: ['admin'], call: (a) => a.admin.users.setDisabled({ userId: 'missing', disabled: true }) },
  { name: 'admin.keys.list', allowed: ['admin'], call: (a) => a.admin.keys.list() },
  { name: 'admin.keys.create', allowed: ['admin'], call: (a) => a.admin.keys.create({ name: '', scopes: {} }) },
  { name: 'admin.keys.revoke', allowed: ['admin'], call: (a) => a.admin.keys.revoke({ keyId: 'missing' }) },
];

describe(`people, roles and keys over tRPC (${testDbKind()})`, () => {
  describe('authorization matrix', () => {
    for (const row of MATRIX) {
      it(row.name, async () => {
        for (const who of EVERYONE) {
          // Allowed callers get past authorization: a result, or a domain error (404, 400) about the made-up input.
          const code = await row.call(api(actors[who]!)).then(() => 'OK', (e: { code?: string }) => e.code ?? String(e));
          const expected = row.allowed.includes(who) ? ['OK', 'NOT_FOUND', 'BAD_REQUEST'] : [who === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN'];
          expect(expected, `${row.name} as ${who}: ${code}`).toContain(code);
        }
      });
    }
  });

  it('an admin creates a person, changes their roles and disables them; each change is an event', async () => {
    const admin = api(actors.admin!);
    const created = await admin.admin.users.create({ email: 'Nina@Example.com', name: 'Nina', password: 'long enough pass', roles: ['approver'] });
    expect(created).toMatchObject({ email: 'nina@example.com', roles: ['approver'], disabled: false });
    expect(created).not.toHaveProperty('passwordHash');
    await expect(admin.admin.users.create({ email: 'nina@example.com', name: 'Nina again', password: 'long enough pass', roles: [] })).rejects.toMatchObject({ code: 'CONFLICT', cause: { code: 'user.exists' } });
    // Protected fields are not accepted in an update body.
    await expect(admin.admin.users.setRoles({ userId: created.id, roles: ['auditor'], disabled: false } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    const { token } = await auth.signIn({ email: 'nina@example.com', password: 'long enough pass' });
    expect(await api(await auth.authenticate(bearer(token))).session.me()).toMatchObject({ kind: 'user', displayName: 'Nina', email: 'nina@example.com', roles: ['approver'] });

    expect(await admin.admin.users.setRoles({ userId: created.id, roles: ['auditor', 'operator'] })).toMatchObject({ roles: ['auditor', 'operator'] });
    expect(await admin.admin.users.setDisabled({ userId: created.id, disabled: true })).toMatchObject({ disabled: true });
    expect(await auth.authenticate(bearer(token))).toBeNull();
    await expect(auth.signIn({ email: 'nina@example.com', password: 'long enough pass' })).rejects.toMatchObject({ code: 'auth.invalid_credentials' });
    // An admin cannot lock themselves out.
    await expect(admin.admin.users.setDisabled({ userId: actors.admin!.id, disabled: true })).rejects.toMatchObject({ code: 'FORBIDDEN', cause: { code: 'user.self_disable' } });
    await expect(admin.admin.users.setRoles({ userId: actors.admin!.id, roles: ['auditor'] })).rejects.toMatchObject({ cause: { code: 'user.self_demotion' } });

    const events = await h.spine.read({ after: 0, limit: 1000, filter: { key: `user:${created.id}` } });
    expect(events.map((e) => [e.type, e.source.name])).toEqual([
      ['user.created', 'admin@demo.spine'],
      ['auth.signed_in', 'nina@example.com'],
      ['user.roles_changed', 'admin@demo.spine'],
      ['user.disabled', 'admin@demo.spine'],
    ]);
    expect(JSON.stringify(events)).not.toContain('long enough pass');
  });

  it('an API key is shown once, works with its scopes, records its last use and stops working when revoked', async () => {
    const admin = api(actors.admin!);
    const key = await admin.admin.keys.create({ name: 'ci bot', scopes: { publish: ['build.*'], subscribe: ['build.*'], startRuns: true, roles: ['operator'] } });
    expect(key.secret).toMatch(/^spk_/);
    expect(key.prefix).toBe(key.secret.slice(0, 10));
    const listed = (await admin.admin.keys.list()).find((k) => k.id === key.id)!;
    expect(listed).not.toHaveProperty('secret');
    expect(listed).toMatchObject({ name: 'ci bot', lastUsedAt: null, revokedAt: null, createdBy: 'admin@demo.spine', scopes: { publish: ['build.*'], startRuns: true, roles: ['operator'] } });
    await expect(admin.admin.keys.create({ name: 'bad', scopes: { publish: ['Not A Pattern!'] } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    expect(await auth.authenticate(bearer(key.secret))).toMatchObject({ kind: 'apiKey', name: 'key:ci bot', roles: ['operator'] });
    expect((await admin.admin.keys.list()).find((k) => k.id === key.id)!.lastUsedAt).not.toBeNull();

    expect(await admin.admin.keys.revoke({ keyId: key.id })).toMatchObject({ revokedAt: expect.any(String) });
    expect(await auth.authenticate(bearer(key.secret))).toBeNull();
    const events = await h.spine.read({ after: 0, limit: 100, filter: { key: `apikey:${key.id}` } });
    expect(events.map((e) => e.type)).toEqual(['apikey.created', 'apikey.revoked']);
    expect(JSON.stringify(events)).not.toContain(key.secret);
  });

  it('a person changes their own password: the old one and every session stop working', async () => {
    await auth.createUser({ email: 'pat@example.com', name: 'Pat', password: 'first password', roles: [] }, 'test');
    const { token } = await auth.signIn({ email: 'pat@example.com', password: 'first password' });
    const pat = await auth.authenticate(bearer(token));
    await expect(api(pat).session.changePassword({ current: 'wrong password', next: 'second password' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(api(pat).session.changePassword({ current: 'first password', next: 'short' })).rejects.toMatchObject({ code: 'BAD_REQUEST', cause: { code: 'auth.weak_password' } });
    expect(await api(pat).session.changePassword({ current: 'first password', next: 'second password' })).toEqual({ ok: true });
    expect(await auth.authenticate(bearer(token))).toBeNull();
    await expect(auth.signIn({ email: 'pat@example.com', password: 'first password' })).rejects.toMatchObject({ code: 'auth.invalid_credentials' });
    await expect(auth.signIn({ email: 'pat@example.com', password: 'second password' })).resolves.toMatchObject({ user: { email: 'pat@example.com' } });
    // Keys have no password to change.
    await expect(api(actors['key:no-roles']!).session.changePassword({ current: 'x', next: 'yyyyyyyyyyyy' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('me is null for an anonymous caller', async () => {
    expect(await api(null).session.me()).toBeNull();
  });
});
