/**
 * tRPC serves the dashboard's whole views; an API key whose read scope covers only some event types must
 * not read through it (it would see every type): it is refused on every procedure. /api/v1 is where such a
 * key reads, filtered by its scope (server/http/v1/readScope.int.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { Actor } from '@/server/auth/roles';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await h.spine.publish({ type: 'case.opened', key: 'case:scope', payload: {} });
});
afterAll(() => h.close());

const key = (subscribe: string[], roles: ('auditor' | 'admin')[] = ['auditor']): Actor => ({ kind: 'apiKey', id: 'k', name: 'key:scoped', roles, scopes: { publish: [], subscribe, startRuns: false, roles } });
const callerAs = (actor: Actor) => createCaller(createContextInner({ actor, services: { spine: h.spine, engine: h.service } }));

describe(`tRPC and key read scopes (${testDbKind()})`, () => {
  it('a key that reads only case.* is refused (FORBIDDEN auth.key_scope) by every read procedure', async () => {
    const c = callerAs(key(['case.*']));
    for (const call of [() => c.events.latest({}), () => c.runs.list({}), () => c.events.detail({ seq: 1 }), () => c.metrics.overview({})])
      await expect(call()).rejects.toMatchObject({ code: 'FORBIDDEN', cause: { code: 'auth.key_scope' } });
  });

  it('a key that reads every type, or an admin key, reads as before', async () => {
    expect((await callerAs(key(['*'])).events.latest({ limit: 5 })).length).toBeGreaterThan(0);
    expect((await callerAs(key(['case.*'], ['admin'])).events.latest({ limit: 5 })).length).toBeGreaterThan(0);
  });
});
