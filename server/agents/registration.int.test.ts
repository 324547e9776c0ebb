/**
 * The registry's write side on a real database: registering, changing and removing agents keeps every
 * version, records one event each with the caller as its source and no secret in it, refuses bad
 * definitions without writing anything, and a run records the agent version each task used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSpineError } from '@/server/errors';
import { openHarness, publishDocument, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { createAgentRegistration, type AgentRegistration } from './registration';
import { REDACTED } from './store';

let h: Harness;
let reg: AgentRegistration;
const ada = { kind: 'user' as const, name: 'ada' };
const SECRET = 'whsec_registration_secret_value';

beforeAll(async () => {
  h = await openHarness();
  reg = createAgentRegistration({ store: h.service.agentStore, registry: h.service.agents, spine: h.spine });
});
afterAll(() => h.close());

const agentEvents = (name: string) => h.spine.read({ after: 0, limit: 1000, filter: { key: `agent:${name}` } });

async function refusal(p: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isSpineError(e)) return { code: e.code, status: e.httpStatus, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

const oneAgent = (agent: string): WorkflowDocument => ({
  formatVersion: 1,
  nodes: [
    { id: 'start', kind: 'trigger', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
    { id: 'work', kind: 'agent', position: { x: 200, y: 0 }, config: { agent } },
    { id: 'done', kind: 'end', position: { x: 400, y: 0 }, config: { outcome: 'success' } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'work' }, { id: 'e2', source: 'work', target: 'done' }],
} as unknown as WorkflowDocument);

describe(`agent registration (${testDbKind()})`, () => {
  it('registers version 1 with its secret sealed, records agent.registered by the caller without the config', async () => {
    const a = await reg.register({ name: 'hook-a', kind: 'http', description: 'A webhook', capabilities: ['legal'], config: { url: 'https://agents.example/a', secret: SECRET, headers: { Authorization: 'Bearer tok_abc_123' } }, outputSchema: { type: 'object', properties: { score: { type: 'number' } } } }, ada);
    expect(a).toMatchObject({ name: 'hook-a', version: 1, removed: false, config: { url: 'https://agents.example/a', secret: REDACTED, headers: { Authorization: REDACTED } } });
    const row = await h.db.agent.findUnique({ where: { name: 'hook-a' } });
    expect(row!.config).not.toContain('registration_secret');
    expect(row!.config).not.toContain('tok_abc_123');
    const [v1] = await h.db.agentVersion.findMany({ where: { agentName: 'hook-a' } });
    expect(v1!.record).not.toContain('registration_secret');
    const events = await agentEvents('hook-a');
    expect(events.map((e) => e.type)).toEqual(['agent.registered']);
    expect(events[0]).toMatchObject({ source: { kind: 'user', name: 'ada' }, payload: { name: 'hook-a', kind: 'http', version: 1, capabilities: ['legal'], hasOutputSchema: true } });
    expect(JSON.stringify(events[0]!.payload)).not.toContain('agents.example');
    // The dispatcher gets the secret back.
    expect((await h.service.agents.resolve('hook-a')).agent.config.secret).toBe(SECRET);
  });

  it('a description change is made in place; a config change is a new version; sending the marker back keeps the secret', async () => {
    const same = await reg.change('hook-a', { description: 'Reads contracts' }, ada);
    expect(same.version).toBe(1);
    const moved = await reg.change('hook-a', { config: { url: 'https://agents.example/a2', secret: REDACTED, headers: { Authorization: REDACTED } } }, { kind: 'apiKey', name: 'ci' });
    expect(moved.version).toBe(2);
    const { agent } = await h.service.agents.resolve('hook-a');
    expect(agent).toMatchObject({ version: 2, config: { url: 'https://agents.example/a2', secret: SECRET, headers: { Authorization: 'Bearer tok_abc_123' } } });
    const versions = await h.service.agentStore.versions('hook-a');
    expect(versions.map((v) => [v.version, v.createdBy])).toEqual([[2, 'ci'], [1, 'ada']]);
    expect(versions[1]!.record.config).toMatchObject({ url: 'https://agents.example/a', secret: REDACTED });
    const events = await agentEvents('hook-a');
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ['agent.registered', expect.anything()],
      ['agent.changed', expect.objectContaining({ version: 1, changed: ['description'], newVersion: false })],
      ['agent.changed', expect.objectContaining({ version: 2, previousVersion: 1, changed: ['config'], newVersion: true })],
    ]);
    expect(events[2]!.source).toEqual({ kind: 'apiKey', name: 'ci' });
    expect(JSON.stringify(events.map((e) => e.payload))).not.toContain(SECRET);
  });

  it('refuses bad definitions with a clear code and writes nothing', async () => {
    const head = await h.spine.head();
    expect(await refusal(reg.register({ name: 'bad', kind: 'carrier-pigeon' }, ada))).toMatchObject({ code: 'agent.invalid', status: 400, message: expect.stringContaining('kind') });
    expect(await refusal(reg.register({ name: 'bad', kind: 'http', config: { url: 'ftp://x' } }, ada))).toMatchObject({ code: 'agent.invalid_config', status: 400, message: expect.stringMatching(/^config\.url: /) });
    expect(await refusal(reg.register({ name: 'bad', kind: 'builtin', config: { behaviour: 'nope' } }, ada))).toMatchObject({ code: 'agent.invalid_config', message: expect.stringContaining('config.behaviour') });
    expect(await refusal(reg.register({ name: 'bad', kind: 'http', config: { url: 'https://a.example' }, outputSchema: { type: 'objekt' } }, ada))).toMatchObject({ code: 'agent.invalid_schema', status: 400, message: expect.stringContaining('outputSchema') });
    expect(await refusal(reg.register({ name: 'Bad Name', kind: 'http' }, ada))).toMatchObject({ code: 'agent.invalid', message: expect.stringContaining('name') });
    expect(await refusal(reg.register({ name: 'hook-a', kind: 'builtin', config: { behaviour: 'echo' } }, ada))).toMatchObject({ code: 'agent.exists', status: 409 });
    expect(await refusal(reg.change('hook-a', { limits: { concurrency: 0 } }, ada))).toMatchObject({ code: 'agent.invalid', status: 400, message: expect.stringContaining('limits.concurrency') });
    expect(await h.db.agent.findUnique({ where: { name: 'bad' } })).toBeNull();
    expect(await h.spine.head()).toBe(head);
  });

  it('a run records the agent version each task used', async () => {
    await reg.register({ name: 'echo-v', kind: 'builtin', config: { behaviour: 'echo' } }, ada);
    const wf = await publishDocument(h, 'Echo versions', oneAgent('echo-v'));
    const first = await h.service.startRun(wf, { input: { n: 1 } }, 'ada');
    const dispatched = (events: { type: string; payload: unknown }[]) => events.find((e) => e.type === 'task.dispatched')!.payload;
    expect(dispatched(await waitForRun(h.spine, first.runId))).toMatchObject({ agent: 'echo-v', agentVersion: 1 });
    await reg.change('echo-v', { limits: { timeoutMs: 5000 } }, ada);
    const second = await h.service.startRun(wf, { input: { n: 2 } }, 'ada');
    expect(dispatched(await waitForRun(h.spine, second.runId))).toMatchObject({ agent: 'echo-v', agentVersion: 2 });
  });

  it('a removed agent stays readable, fails publish with agent.removed, and comes back as its next version', async () => {
    await reg.register({ name: 'gone', kind: 'builtin', config: { behaviour: 'echo' } }, ada);
    const removed = await reg.remove('gone', ada);
    expect(removed).toMatchObject({ removed: true, version: 1 });
    expect((await h.service.agentStore.get('gone')).removedAt).not.toBeNull();
    expect((await h.service.agentStore.list()).map((a) => a.name)).not.toContain('gone');
    expect((await agentEvents('gone')).map((e) => e.type)).toEqual(['agent.registered', 'agent.removed']);
    await expect(h.service.agents.resolve('gone')).rejects.toMatchObject({ code: 'agent.not_found' });
    const w = await h.service.workflows.create({ name: 'Uses gone', document: oneAgent('gone') });
    const err = await refusal(h.service.publishWorkflow(w.id));
    expect(err).toMatchObject({ code: 'workflow.invalid', status: 400 });
    try {
      await h.service.publishWorkflow(w.id);
    } catch (e) {
      expect((e as { details: { problems: { code: string; message: string }[] } }).details.problems).toContainEqual(expect.objectContaining({ code: 'agent.removed', message: expect.stringContaining('removed') }));
    }
    expect(await refusal(reg.remove('gone', ada))).toMatchObject({ code: 'agent.not_found', status: 404 });
    const back = await reg.register({ name: 'gone', kind: 'builtin', config: { behaviour: 'echo' } }, ada);
    expect(back).toMatchObject({ removed: false, version: 2 });
  });
});
