/**
 * The agents router through the real router (createCaller): everyone signed in reads the registry and its
 * health, only architects and admins change it (auditors and operators are refused with 403 and nothing is
 * written), and no answer carries a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { Actor } from '@/server/api/actor';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

const person = (name: string, roles: Actor['roles']): Actor => ({ kind: 'user', id: name, name, roles });
let h: Harness;
const as = (actor: Actor) => createCaller(createContextInner({ actor, services: { spine: h.spine, engine: h.service } }));

beforeAll(async () => {
  h = await openHarness();
});
afterAll(() => h.close());

describe(`agents router (${testDbKind()})`, () => {
  it('architects register, change and remove; auditors and operators only read', async () => {
    const def = { name: 'router-hook', kind: 'http', config: { url: 'https://agents.example/r', secret: 'whsec_router_secret_1' } };
    for (const roles of [['auditor'], ['operator']] as const)
      await expect(as(person('x', [...roles])).agents.create(def)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.db.agent.findUnique({ where: { name: 'router-hook' } })).toBeNull();

    const architect = as(person('ada', ['architect']));
    const made = await architect.agents.create(def);
    expect(made).toMatchObject({ name: 'router-hook', version: 1, config: { secret: '••••••' } });
    const changed = await architect.agents.update({ name: 'router-hook', patch: { capabilities: ['triage'], outputSchema: { type: 'object', properties: { risk: { type: 'string' } } } } });
    expect(changed).toMatchObject({ version: 2, capabilities: ['triage'] });
    await expect(as(person('o', ['operator'])).agents.remove({ name: 'router-hook' })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const reader = as(person('vera', []));
    const listed = (await reader.agents.list()).find((a) => a.name === 'router-hook');
    expect(listed).toMatchObject({ version: 2, outputSchema: { properties: { risk: { type: 'string' } } } });
    expect(listed).not.toHaveProperty('config');
    expect((await reader.agents.versions({ name: 'router-hook' })).map((v) => v.version)).toEqual([2, 1]);
    expect(await reader.agents.kinds()).toEqual(expect.arrayContaining(['builtin', 'http']));
    const health = await reader.agents.health();
    expect(health.find((x) => x.agent === 'router-hook')).toMatchObject({ status: 'offline' });
    expect(health.map((x) => x.agent)).toContain('case-law');
    await expect(architect.agents.create({ ...def, name: 'bad', config: { url: 'nope' } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('config.url') });

    await as(person('root', ['admin'])).agents.remove({ name: 'router-hook' });
    expect((await reader.agents.list()).map((a) => a.name)).not.toContain('router-hook');
    expect((await reader.agents.list({ includeRemoved: true })).find((a) => a.name === 'router-hook')).toMatchObject({ removed: true });
    const everything = JSON.stringify([made, changed, await reader.agents.get({ name: 'router-hook' }), await reader.agents.versions({ name: 'router-hook' })]);
    expect(everything).not.toContain('whsec_router_secret_1');
  });
});
