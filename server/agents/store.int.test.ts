/**
 * Agent credentials are sealed at rest: the database row holds only ciphertext, the registry gets the
 * secret back, and what people see is redacted. A task is called at the version its dispatch recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSpine, type Spine } from '@/server/spine';
import { createDb, type Db } from '@/server/db/client';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { createAgentStore, redactConfig } from './store';
import { AgentRegistry } from './registry';

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

  it('resolves an agent at the version a task recorded: the current one, or an older one with its own config and secret', async () => {
    const store = createAgentStore(db);
    const registry = new AgentRegistry(store);
    await store.upsert({ name: 'versioned', kind: 'http', config: { url: 'https://agents.example/v1', secret: 'whsec_first_secret_value' } });
    await store.upsert({ name: 'versioned', kind: 'http', config: { url: 'https://agents.example/v2', secret: 'whsec_second_secret_val' } });
    await registry.refresh();

    expect((await registry.resolveVersion('versioned', undefined)).agent).toMatchObject({ version: 2, config: { url: 'https://agents.example/v2' } });
    expect((await registry.resolveVersion('versioned', 2)).agent).toMatchObject({ version: 2, config: { url: 'https://agents.example/v2' } });
    const old = await registry.resolveVersion('versioned', 1);
    expect(old.agent).toMatchObject({ name: 'versioned', kind: 'http', version: 1, config: { url: 'https://agents.example/v1', secret: 'whsec_first_secret_value' } });
    expect(old.adapter.kind).toBe('http');
    await expect(registry.resolveVersion('versioned', 9)).rejects.toMatchObject({ code: 'agent.not_found' });
  });
});
