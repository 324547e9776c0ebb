/**
 * Spine as an A2A server, driven by the SDK's own client over real HTTP on loopback, with real API keys,
 * on the selected database: a workflow is served only once exposed (the switch is recorded with who set
 * it); the cards (Spine's well-known one and the workflow's) declare the bearer scheme and the skill;
 * `message/send` starts a run as the key's principal and answers with the completed task and the run's
 * output as artifact; `message/stream` streams the run's status to its end; `tasks/cancel` cancels the run;
 * `/api/a2a` picks the workflow by `metadata.skill`; a caller without a key, or whose key may not start
 * runs, is refused, and another key's task does not exist for it. And Spine calls Spine: an `a2a` agent
 * registered by this Spine's own workflow card runs it as a task.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCard, Message, Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { createAgentRegistration } from '@/server/agents';
import { openApiHarness, type ApiHarness } from '@/server/testing/apiPrincipals';
import { publishDocument, waitForRun } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';

const echoDoc: WorkflowDocumentInput = {
  formatVersion: 1,
  nodes: [
    { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
    { id: 'echo', kind: 'agent', label: 'Echo', position: { x: 1, y: 0 }, config: { agent: 'echo' } },
    { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success', output: { said: 'results.echo' } } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'echo' },
    { id: 'e2', source: 'echo', target: 'done' },
  ],
};
const slowDoc: WorkflowDocumentInput = {
  formatVersion: 1,
  nodes: [
    { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
    { id: 'wait', kind: 'delay', label: 'Wait', position: { x: 1, y: 0 }, config: { mode: 'duration', durationMs: 600_000 } },
    { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'wait' },
    { id: 'e2', source: 'wait', target: 'done' },
  ],
};

let api: ApiHarness;
let echoId: string;
let slowId: string;
let secret: string;
let otherSecret: string;

/** An SDK client for a card URL, sending `key` as the bearer token the card asks for. */
async function clientFor(cardUrl: string, key?: string): Promise<{ card: AgentCard; client: Client }> {
  const fetchImpl: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...(key && { authorization: `Bearer ${key}` }) } });
  const card = await new DefaultAgentCardResolver({ fetchImpl }).resolve(cardUrl, '');
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl })] }));
  return { card, client: await factory.createFromAgentCard(card) };
}

const message = (data: Record<string, unknown>, metadata?: Record<string, unknown>): Message => ({
  kind: 'message', role: 'user', messageId: randomUUID(), parts: [{ kind: 'data', data }], ...(metadata && { metadata }),
});
const runIdOf = (t: Task) => (t.metadata?.spine as { runId: string }).runId;

beforeAll(async () => {
  api = await openApiHarness();
  echoId = await publishDocument(api, 'Echo desk', echoDoc as never);
  slowId = await publishDocument(api, 'Slow desk', slowDoc as never);
  secret = (await api.auth.createKey({ name: 'a2a-client', scopes: { publish: [], subscribe: [], startRuns: true, roles: [] } }, { kind: 'system', id: 'system', name: 'system', roles: ['admin'] })).secret;
  otherSecret = (await api.auth.createKey({ name: 'a2a-other', scopes: { publish: [], subscribe: [], startRuns: true, roles: [] } }, { kind: 'system', id: 'system', name: 'system', roles: ['admin'] })).secret;
});
afterAll(() => api.close());

describe(`Spine as an A2A server (${testDbKind()})`, () => {
  it('serves a workflow only once exposed, records who exposed it, and its cards declare the skill and the bearer scheme', async () => {
    const before = await fetch(`${api.origin}/api/a2a/${echoId}/agent-card.json`);
    expect(before.status).toBe(404);
    expect((await before.json()).error.code).toBe('a2a.not_exposed');

    const architect = await api.user('architect');
    const operator = await api.user('operator');
    expect((await operator.post(`/api/v1/workflows/${echoId}/a2a`, { exposed: true })).status).toBe(403);
    for (const id of [echoId, slowId]) expect((await architect.post(`/api/v1/workflows/${id}/a2a`, { exposed: true })).body).toMatchObject({ a2aExposed: true });
    const exposedEvents = (await api.spine.read({ after: 0, limit: 10_000, filter: { types: ['workflow.a2a_exposed'] } })).filter((e) => (e.payload as { workflowId: string }).workflowId === echoId);
    expect(exposedEvents).toHaveLength(1);
    expect(exposedEvents[0]!.source).toEqual({ kind: 'user', name: architect.name });

    const { card } = await clientFor(`${api.origin}/api/a2a/${echoId}/agent-card.json`);
    expect(card).toMatchObject({ name: 'Echo desk', url: `${api.origin}/api/a2a/${echoId}`, capabilities: { streaming: true }, security: [{ spineApiKey: [] }], securitySchemes: { spineApiKey: { type: 'http', scheme: 'bearer' } } });
    expect(card.skills.map((s) => s.id)).toEqual(['echo-desk']);
    const spine = await new DefaultAgentCardResolver().resolve(api.origin);
    expect(spine.skills.map((s) => s.id)).toEqual(['echo-desk', 'slow-desk']);
  });

  it('message/send starts a run as the key and answers with the completed task, the run output as artifact', async () => {
    const { client } = await clientFor(`${api.origin}/api/a2a/${echoId}/agent-card.json`, secret);
    const task = (await client.sendMessage({ message: message({ text: 'hello' }) })) as Task;
    expect(task.kind).toBe('task');
    expect(task.status.state).toBe('completed');
    expect(task.artifacts?.[0]?.parts[0]).toMatchObject({ kind: 'data', data: { said: { echo: { text: 'hello' } } } });
    const events = await waitForRun(api.spine, runIdOf(task));
    expect(events[0]).toMatchObject({ type: 'run.started', source: { kind: 'apiKey', name: 'key:a2a-client' }, payload: { startedBy: 'key:a2a-client', input: { text: 'hello' } } });
    expect(events.at(-1)!.type).toBe('run.completed');
    expect((await client.getTask({ id: task.id })).status.state).toBe('completed');
    // A run takes one message: a follow-up on its task is refused, and starts nothing.
    await expect(client.sendMessage({ message: { ...message({ again: true }), taskId: task.id } })).rejects.toThrow(/takes one message/);
  });

  it('message/stream streams the run’s status to its end', async () => {
    const { client } = await clientFor(`${api.origin}/api/a2a/${echoId}/agent-card.json`, secret);
    const seen: { kind: string; state?: string; text?: string }[] = [];
    for await (const ev of client.sendMessageStream({ message: message({ n: 7 }) })) {
      if (ev.kind === 'status-update') seen.push({ kind: ev.kind, state: ev.status.state, text: ev.status.message?.parts.find((p) => p.kind === 'text')?.text });
      else seen.push({ kind: ev.kind });
    }
    expect(seen[0]).toEqual({ kind: 'task' });
    expect(seen).toContainEqual({ kind: 'status-update', state: 'working', text: 'echo: dispatched to agent echo' });
    expect(seen.at(-2)).toEqual({ kind: 'artifact-update' });
    expect(seen.at(-1)).toEqual({ kind: 'status-update', state: 'completed', text: 'run completed' });
  });

  it('tasks/cancel cancels the run, as the key; another key cannot see or cancel the task', async () => {
    const { client } = await clientFor(`${api.origin}/api/a2a/${slowId}/agent-card.json`, secret);
    const stream = client.sendMessageStream({ message: message({}) });
    const first = (await stream.next()).value as Task;
    expect(first.kind).toBe('task');

    const { client: other } = await clientFor(`${api.origin}/api/a2a/${slowId}/agent-card.json`, otherSecret);
    await expect(other.getTask({ id: first.id })).rejects.toThrow(/not found/i);
    await expect(other.cancelTask({ id: first.id })).rejects.toThrow(/not found/i);

    const cancelled = await client.cancelTask({ id: first.id });
    expect(cancelled.status.state).toBe('canceled');
    const events = await waitForRun(api.spine, runIdOf(first));
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', payload: { actor: 'key:a2a-client', reason: 'cancelled over A2A' } });
    const rest: string[] = [];
    for await (const ev of stream) rest.push(ev.kind === 'status-update' ? ev.status.state : ev.kind);
    expect(rest.at(-1)).toBe('canceled');
  });

  it('/api/a2a runs the workflow named by metadata.skill, and refuses a message that names none', async () => {
    const { client } = await clientFor(api.origin + '/.well-known/agent-card.json', secret);
    const task = (await client.sendMessage({ message: message({ text: 'via root' }, { skill: 'echo-desk' }) })) as Task;
    expect(task.status.state).toBe('completed');
    expect(task.artifacts?.[0]?.parts[0]).toMatchObject({ data: { said: { echo: { text: 'via root' } } } });
    await expect(client.sendMessage({ message: message({}) })).rejects.toThrow(/metadata\.skill/);
  });

  it('Spine calls Spine: an a2a agent registered by this Spine’s own card runs the exposed workflow as one task', async () => {
    const allow = process.env.SPINE_OUTBOUND_ALLOW;
    process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    try {
      await createAgentRegistration({ store: api.service.agentStore, registry: api.service.agents, spine: api.spine }).register(
        { name: 'echo-desk-remote', kind: 'a2a', config: { cardUrl: `${api.origin}/api/a2a/${echoId}/agent-card.json`, token: secret } },
        { kind: 'system', name: 'system' },
      );
      const caller = await publishDocument(api, 'Calls the desk', {
        ...echoDoc,
        nodes: echoDoc.nodes.map((n) => (n.id === 'echo' ? { ...n, config: { agent: 'echo-desk-remote' } } : n)),
      } as never);
      const { runId } = await api.service.startRun(caller, { input: { text: 'round trip' } }, 'ann');
      const events = await waitForRun(api.spine, runId);
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { said: { said: { echo: { text: 'round trip' } } } } } });
      // The inner run (the exposed workflow's) was started by the key, and the outer task recorded its A2A status updates.
      const progress = events.filter((e) => e.type === 'task.progress').map((e) => (e.payload as { state: string }).state);
      expect(progress[0]).toBe('submitted');
      expect(progress).toContain('working');
      expect(progress.at(-1)).toBe('completed');
    } finally {
      if (allow === undefined) delete process.env.SPINE_OUTBOUND_ALLOW;
      else process.env.SPINE_OUTBOUND_ALLOW = allow;
    }
  });

  it('refuses callers without a key (401) or whose key may not start runs (403), starting nothing', async () => {
    const runsBefore = (await api.spine.read({ after: 0, limit: 10_000, filter: { types: ['run.started'] } })).length;
    const noStart = (await api.auth.createKey({ name: 'a2a-reader', scopes: { publish: [], subscribe: ['*'], startRuns: false, roles: [] } }, { kind: 'system', id: 'system', name: 'system', roles: ['admin'] })).secret;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { message: message({}) } });
    const anonymous = await fetch(`${api.origin}/api/a2a/${echoId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
    const reader = await fetch(`${api.origin}/api/a2a/${echoId}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${noStart}` }, body });
    expect(reader.status).toBe(403);
    const { client } = await clientFor(`${api.origin}/api/a2a/${echoId}/agent-card.json`, noStart);
    await expect(client.sendMessage({ message: message({}) })).rejects.toThrow(/403/);
    expect((await api.spine.read({ after: 0, limit: 10_000, filter: { types: ['run.started'] } })).length).toBe(runsBefore);
  });
});
