/**
 * Agent keys through the real router (createCaller) on the selected database: architects and admins make,
 * list and revoke an agent's keys, nobody else may; a key is bound to its agent (scopes.agent), carries no
 * role and reads nothing, its secret authenticates until it is revoked, and a key of another agent cannot
 * be revoked through this one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { Actor, Role } from '@/server/auth/roles';
import { createAuthService, type AuthService } from '@/server/auth/service';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

let h: Harness;
let auth: AuthService;
const actors: Partial<Record<Role, Actor>> = {};
const bearer = (token: string) => new Request('http://spine.test/', { headers: { authorization: `Bearer ${token}` } });
const api = (role: Role) => createCaller(createContextInner({ actor: actors[role]!, services: { spine: h.spine, engine: h.service, auth } }));

beforeAll(async () => {
  h = await openHarness();
  auth = createAuthService({ db: h.db, spine: h.spine });
  await auth.bootstrap({ demoUsers: true });
  for (const role of ['admin', 'architect', 'operator', 'auditor'] as const) {
    const { token } = await auth.signIn({ email: `${role}@demo.spine`, password: `spine-demo-${role}` });
    actors[role] = (await auth.authenticate(bearer(token)))!;
  }
  await h.service.agentStore.upsert({ name: 'case-law', kind: 'sdk', description: '', config: { leaseMs: 5000 } });
});
afterAll(() => h.close());

describe(`agentKeys router (${testDbKind()})`, () => {
  it('an architect makes a key bound to the agent; it authenticates until revoked', async () => {
    const key = await api('architect').agentKeys.create({ agent: 'case-law', label: 'prod', publish: ['case.note'] });
    expect(key.name).toBe('case-law-prod');
    expect(key.scopes).toEqual({ publish: ['case.note'], subscribe: [], startRuns: false, roles: [], agent: 'case-law' });
    const actor = await auth.authenticate(bearer(key.secret));
    expect(actor?.scopes?.agent).toBe('case-law');
    expect((await api('admin').agentKeys.list({ agent: 'case-law' })).map((k) => k.id)).toContain(key.id);
    await api('architect').agentKeys.revoke({ agent: 'case-law', keyId: key.id });
    expect(await auth.authenticate(bearer(key.secret))).toBeNull();
  });

  it('operators and auditors may not; an unknown agent is 404; another agent’s key is not revoked through this one', async () => {
    for (const role of ['operator', 'auditor'] as const)
      await expect(api(role).agentKeys.create({ agent: 'case-law', publish: [] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(api('architect').agentKeys.create({ agent: 'no-such-agent', publish: [] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await h.service.agentStore.upsert({ name: 'precedent', kind: 'sdk', description: '', config: {} });
    const other = await api('architect').agentKeys.create({ agent: 'precedent', publish: [] });
    await expect(api('architect').agentKeys.revoke({ agent: 'case-law', keyId: other.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await auth.authenticate(bearer(other.secret))).not.toBeNull();
  });
});
