/**
 * Agent credentials are sealed at rest: the database row holds only ciphertext, the registry gets the
 * secret back, and what people see is redacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSpine, type Spine } from '@/server/spine';
import { createDb, type Db } from '@/server/db/client';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { createAgentStore, redactConfig } from './store';

let spine: Spine;
let db: Db;
beforeAll(async () => {
  const url = await freshDatabaseUrl();
  spine = await openSpine({ databaseUrl: url });
  db = createDb(url);
});
afterAll(async () => {
  await db.$disconnect();
  await spine.close();
});

describe(`agent credentials at rest (${testDbKind()})`, () => {
  it('stores secrets sealed, returns them to the dispatcher, redacts them for people', async () => {
    const store = createAgentStore(db);
    await store.upsert({ name: 'hook', kind: 'http', config: { url: 'https://agents.example/hook', secret: 'whsec_topsecretvalue' } });
    const row = await db.agent.findUnique({ where: { name: 'hook' } });
    expect(row!.config).not.toContain('topsecretvalue');
    expect(JSON.parse(row!.config).secret).toHaveProperty('$enc');
    const rec = await store.get('hook');
    expect(rec.config.secret).toBe('whsec_topsecretvalue');
    expect(redactConfig(rec.config)).toMatchObject({ url: 'https://agents.example/hook', secret: '••••••' });
  });
});
