/**
 * The API-key cache: a request with a known key costs no query, and a revoked key is refused as soon as
 * its `apikey.revoked` event reaches the process, wherever it was revoked. On PostgreSQL the two auth
 * services sit on two spines (two connections, the other's commits arriving by NOTIFY), as two Spine
 * processes would; on SQLite (one process) on one spine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '@/server/auth/roles';
import { testDbKind } from '@/server/testing/testDb';
import { openTwoProcesses, type TwoProcesses } from '@/server/testing/twoProcesses';
import { createAuthService, KEY_CACHE_MS, type AuthService } from './service';

let clock = Date.parse('2026-12-04T12:00:00Z');
const now = () => clock;
let two: TwoProcesses;
const watch = new AbortController();
let here: AuthService;
let there: AuthService;

beforeAll(async () => {
  two = await openTwoProcesses();
  here = createAuthService({ db: two.here.db, spine: two.here.spine, now });
  there = createAuthService({ db: two.there.db, spine: two.there.spine, now });
  void here.watchRevocations(watch.signal);
  void there.watchRevocations(watch.signal);
});

afterAll(async () => {
  watch.abort();
  await two.close();
});

describe(`the API-key cache (${testDbKind()})`, () => {
  it('keeps a key while the watch runs, and drops it when another process revokes it', async () => {
    const key = await here.createKey({ name: 'cached', scopes: { publish: ['case.*'], subscribe: [], startRuns: false, roles: [] } }, SYSTEM_ACTOR);
    expect(await here.actorForKey(key.secret)).toMatchObject({ kind: 'apiKey', id: key.id });

    // Revoked behind Spine's back (no event): the cache still answers, long past the unwatched 2 s.
    await two.here.db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date(clock) } });
    clock += 30 * KEY_CACHE_MS;
    expect(await here.actorForKey(key.secret)).toMatchObject({ id: key.id });
    await two.here.db.apiKey.update({ where: { id: key.id }, data: { revokedAt: null } });

    // Revoked through the other service: its event drops the key here, with the clock standing still.
    const t0 = performance.now();
    await there.revokeKey(key.id, SYSTEM_ACTOR);
    await expect.poll(() => here.actorForKey(key.secret), { timeout: 2_000, interval: 5 }).toBeNull();
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('without a watch, a key revoked elsewhere is refused once the short cache time passes', async () => {
    const alone = createAuthService({ db: two.here.db, spine: two.here.spine, now });
    const key = await alone.createKey({ name: 'unwatched', scopes: { publish: [], subscribe: ['*'], startRuns: false, roles: [] } }, SYSTEM_ACTOR);
    expect(await alone.actorForKey(key.secret)).toMatchObject({ id: key.id });
    await there.revokeKey(key.id, SYSTEM_ACTOR);
    expect(await alone.actorForKey(key.secret)).toMatchObject({ id: key.id });
    clock += KEY_CACHE_MS + 1;
    expect(await alone.actorForKey(key.secret)).toBeNull();
  });
});
