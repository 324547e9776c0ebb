/**
 * The API-key cache: a request with a known key costs no query, and a revoked key is refused as soon as
 * its `apikey.revoked` event reaches the process, wherever it was revoked. On PostgreSQL the two auth
 * services sit on two spines (two connections, the other's commits arriving by NOTIFY), as two Spine
 * processes would; on SQLite (one process) on one spine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSpine, type Spine } from '@/server/spine';
import { createDb, type Db } from '@/server/db/client';
import { SYSTEM_ACTOR } from '@/server/auth/roles';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { createAuthService, KEY_CACHE_MS, type AuthService } from './service';

let clock = Date.parse('2026-12-04T12:00:00Z');
const now = () => clock;
const spines: Spine[] = [];
const dbs: Db[] = [];
const watch = new AbortController();
let here: AuthService;
let there: AuthService;

beforeAll(async () => {
  const url = await freshDatabaseUrl();
  const a = await openSpine({ databaseUrl: url });
  const b = testDbKind() === 'postgres' ? await openSpine({ databaseUrl: url }) : a;
  spines.push(...new Set([a, b]));
  dbs.push(createDb(url), createDb(url));
  here = createAuthService({ db: dbs[0]!, spine: a, now });
  there = createAuthService({ db: dbs[1]!, spine: b, now });
  void here.watchRevocations(watch.signal);
  void there.watchRevocations(watch.signal);
});

afterAll(async () => {
  watch.abort();
  for (const d of dbs) await d.$disconnect();
  for (const s of spines) await s.close();
});

describe(`the API-key cache (${testDbKind()})`, () => {
  it('keeps a key while the watch runs, and drops it when another process revokes it', async () => {
    const key = await here.createKey({ name: 'cached', scopes: { publish: ['case.*'], subscribe: [], startRuns: false, roles: [] } }, SYSTEM_ACTOR);
    expect(await here.actorForKey(key.secret)).toMatchObject({ kind: 'apiKey', id: key.id });

    // Revoked behind Spine's back (no event): the cache still answers, long past the unwatched 2 s.
    await dbs[0]!.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date(clock) } });
    clock += 30 * KEY_CACHE_MS;
    expect(await here.actorForKey(key.secret)).toMatchObject({ id: key.id });
    await dbs[0]!.apiKey.update({ where: { id: key.id }, data: { revokedAt: null } });

    // Revoked through the other service: its event drops the key here, with the clock standing still.
    const t0 = performance.now();
    await there.revokeKey(key.id, SYSTEM_ACTOR);
    await expect.poll(() => here.actorForKey(key.secret), { timeout: 2_000, interval: 5 }).toBeNull();
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('without a watch, a key revoked elsewhere is refused once the short cache time passes', async () => {
    const alone = createAuthService({ db: dbs[0]!, spine: spines[0]!, now });
    const key = await alone.createKey({ name: 'unwatched', scopes: { publish: [], subscribe: ['*'], startRuns: false, roles: [] } }, SYSTEM_ACTOR);
    expect(await alone.actorForKey(key.secret)).toMatchObject({ id: key.id });
    await there.revokeKey(key.id, SYSTEM_ACTOR);
    expect(await alone.actorForKey(key.secret)).toMatchObject({ id: key.id });
    clock += KEY_CACHE_MS + 1;
    expect(await alone.actorForKey(key.secret)).toBeNull();
  });
});
