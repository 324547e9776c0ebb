/**
 * The a2a agent kind against an A2A agent built with the SDK's server classes on loopback
 * (server/testing/a2aAgent.ts), in real runs on the selected database: registration fetches the card
 * through the outbound guard (skills stored; a card that cannot be fetched is refused and nothing is
 * appended), a task completes over `message/stream` and over `message/send` (polled), each A2A status
 * update is recorded as `task.progress` caused by the dispatch, a failed A2A task fails the node with the
 * agent's message, cancelling the run sends `tasks/cancel` (so does the node's timeout), and
 * `input-required` becomes a question an operator answers (server/approvals/questions.ts), whose answer
 * goes back to the same A2A task.
 */
import { ClientFactory } from '@a2a-js/sdk/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Json, SpineEvent } from '@/server/spine';
import { createAgentRegistration, type AgentRegistration } from '@/server/agents';
import { createAgentQuestions } from '@/server/approvals';
import { openHarness, publishDocument, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { startTestA2aAgent, type TestA2aAgent } from '@/server/testing/a2aAgent';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';

const once = { maxAttempts: 1 };

function oneAgent(agent: string, config: Record<string, Json> = {}): WorkflowDocumentInput {
  return {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
      { id: 'reader', kind: 'agent', label: 'Reader', position: { x: 1, y: 0 }, config: { agent, retry: once, ...config } },
      { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success', output: { answer: 'results.reader' } } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'reader' },
      { id: 'e2', source: 'reader', target: 'done' },
    ],
  };
}

const SYSTEM = { kind: 'system' as const, name: 'system' };
const OPERATOR = { kind: 'user' as const, id: 'u-olga', name: 'olga', roles: ['operator' as const] };
const payloadOf = <T = Record<string, Json>>(e: SpineEvent | undefined) => e?.payload as T;

let remote: TestA2aAgent;
let h: Harness;
let reg: AgentRegistration;
const allowBefore = process.env.SPINE_OUTBOUND_ALLOW;

beforeAll(async () => {
  remote = await startTestA2aAgent();
});
afterAll(() => remote.close());
beforeEach(async () => {
  process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
  h = await openHarness({ seed: false });
  reg = createAgentRegistration({ store: h.service.agentStore, registry: h.service.agents, spine: h.spine });
});
afterEach(async () => {
  await h.close();
  if (allowBefore === undefined) delete process.env.SPINE_OUTBOUND_ALLOW;
  else process.env.SPINE_OUTBOUND_ALLOW = allowBefore;
});

async function run(agentName: string, input: Json, config: Record<string, Json> = {}) {
  const wf = await publishDocument(h, `wf-${agentName}-${Math.random().toString(36).slice(2, 8)}`, oneAgent(agentName, config) as never);
  return h.service.startRun(wf, { input }, 'ann');
}

describe(`a2a agents (${testDbKind()})`, () => {
  it('registers by card URL: the card is fetched and stored with its skills; an unreachable card is refused and nothing is appended', async () => {
    const a = await reg.register({ name: 'reader', kind: 'a2a', config: { cardUrl: remote.cardUrl('stream'), token: 'remote-key-123' } }, SYSTEM);
    const card = a.config.card as { name: string; skills: { id: string; tags: string[] }[]; capabilities: { streaming: boolean } };
    expect(card.name).toBe('contract-reader-stream');
    expect(card.skills).toEqual([expect.objectContaining({ id: 'read-contract', tags: ['legal', 'contracts'] })]);
    expect(card.capabilities.streaming).toBe(true);
    expect(a.config.token).not.toBe('remote-key-123');

    const head = await h.spine.head();
    await expect(reg.register({ name: 'gone', kind: 'a2a', config: { cardUrl: `${remote.origin}/nowhere/agent-card.json` } }, SYSTEM)).rejects.toMatchObject({ code: 'agent.card_unreachable', httpStatus: 400 });
    delete process.env.SPINE_OUTBOUND_ALLOW;
    await expect(reg.register({ name: 'private', kind: 'a2a', config: { cardUrl: remote.cardUrl('plain') } }, SYSTEM)).rejects.toMatchObject({ code: 'agent.card_unreachable', message: expect.stringMatching(/refused/) });
    expect(await h.spine.head()).toBe(head);
  });

  it('streams a task to completion: input and envelope as data parts, each status update recorded as task.progress caused by the dispatch, the artifact as output', async () => {
    await reg.register({ name: 'reader', kind: 'a2a', config: { cardUrl: remote.cardUrl('stream'), token: 'remote-key-123' } }, SYSTEM);
    const { runId } = await run('reader', { mode: 'complete', contract: 'NDA-7' });
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)!.type).toBe('run.completed');
    expect(payloadOf(events.at(-1)).output).toEqual({ answer: { echoed: { mode: 'complete', contract: 'NDA-7' }, sawEnvelope: true } });

    const dispatched = events.find((e) => e.type === 'task.dispatched')!;
    const progress = events.filter((e) => e.type === 'task.progress');
    expect(progress.map((e) => payloadOf(e).state)).toEqual(['submitted', 'working', 'completed']);
    expect(progress.every((e) => e.causationId === dispatched.id)).toBe(true);
    expect(payloadOf(progress[1]).message).toBe('reading the file');
    expect(payloadOf(progress[1])).toMatchObject({ nodeId: 'reader', attempt: 1, agent: 'reader', remoteTaskId: expect.any(String) });

    const sent = remote.received.at(-1)!;
    expect(sent.metadata).toMatchObject({ spine: { runId, nodeId: 'reader', attempt: 1, idempotencyKey: `${runId}:reader:1` } });
    expect(sent.parts.find((p) => p.kind === 'data' && p.metadata?.spine === 'envelope')).toMatchObject({ data: { runId } });
    expect(remote.authorizations.at(-1)).toBe('Bearer remote-key-123');
  });

  it('without streaming: message/send, then tasks/get until the task completes', async () => {
    await reg.register({ name: 'plain-reader', kind: 'a2a', config: { cardUrl: remote.cardUrl('plain') } }, SYSTEM);
    const { runId } = await run('plain-reader', { mode: 'complete', contract: 'MSA-2' });
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)!.type).toBe('run.completed');
    expect(payloadOf(events.at(-1)).output).toEqual({ answer: { echoed: { mode: 'complete', contract: 'MSA-2' }, sawEnvelope: true } });
    expect(events.filter((e) => e.type === 'task.progress').map((e) => payloadOf(e).state)).toContain('completed');
  });

  it('a failed A2A task fails the node with the agent’s message', async () => {
    await reg.register({ name: 'reader', kind: 'a2a', config: { cardUrl: remote.cardUrl('stream') } }, SYSTEM);
    const { runId } = await run('reader', { mode: 'fail' });
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)!.type).toBe('run.failed');
    const failed = events.find((e) => e.type === 'task.failed');
    expect(payloadOf(failed).error).toBe("agent 'reader' failed the task: no such contract");
    expect(events.filter((e) => e.type === 'task.progress').map((e) => payloadOf(e).state)).toEqual(['submitted', 'working', 'failed']);
  });

  for (const kind of ['stream', 'plain'] as const) {
    it(`cancelling the run sends tasks/cancel for the A2A task (${kind})`, async () => {
      await reg.register({ name: 'slow', kind: 'a2a', config: { cardUrl: remote.cardUrl(kind) } }, SYSTEM);
      const { runId } = await run('slow', { mode: 'hang' });
      const working = await waitForEvent(h.spine, runId, (e) => e.type === 'task.progress' && payloadOf(e).state === 'working');
      await h.service.cancelRun(runId, 'ann');
      const events = await waitForRun(h.spine, runId);
      expect(events.at(-1)!.type).toBe('run.cancelled');
      await expect.poll(() => remote.cancelled, { timeout: 5000 }).toContain(payloadOf(working).remoteTaskId);
      // Polled or streamed, each status the agent set is recorded once.
      expect(events.filter((e) => e.type === 'task.progress').map((e) => payloadOf(e).state)).toEqual(['submitted', 'working']);
    });
  }

  it('the node’s timeout cancels the A2A task too', async () => {
    await reg.register({ name: 'slow', kind: 'a2a', config: { cardUrl: remote.cardUrl('stream') } }, SYSTEM);
    const { runId } = await run('slow', { mode: 'hang' }, { timeoutMs: 800 });
    const events = await waitForRun(h.spine, runId);
    expect(payloadOf(events.find((e) => e.type === 'task.failed'))).toMatchObject({ errorKind: 'timeout' });
    const working = events.find((e) => e.type === 'task.progress' && payloadOf(e).state === 'working');
    await expect.poll(() => remote.cancelled, { timeout: 5000 }).toContain(payloadOf(working).remoteTaskId);
  });

  for (const kind of ['stream', 'plain'] as const) {
    it(`input-required becomes a question in the inbox; an operator's answer goes back to the A2A task, which completes (${kind})`, async () => {
      await reg.register({ name: 'asker', kind: 'a2a', config: { cardUrl: remote.cardUrl(kind) } }, SYSTEM);
      const { runId } = await run('asker', { mode: 'ask' });
      const asked = await waitForEvent(h.spine, runId, (e) => e.type === 'task.input_required');
      expect(payloadOf(asked)).toMatchObject({ state: 'input-required', message: 'Which jurisdiction?', questionId: `${runId}:reader:1:q:${payloadOf(asked).n}` });
      expect(asked.causationId).toBe((await waitForEvent(h.spine, runId, (e) => e.type === 'task.dispatched')).id);

      const questions = createAgentQuestions({ engine: h.service, spine: h.spine });
      const open = await questions.open(OPERATOR);
      expect(open).toEqual([expect.objectContaining({ runId, nodeId: 'reader', agent: 'asker', question: 'Which jurisdiction?', canAnswer: true })]);
      const questionId = open[0]!.questionId;
      await expect(questions.answer({ runId, questionId, answer: 'DE' }, { ...OPERATOR, name: 'audrey', roles: ['auditor' as const] })).rejects.toMatchObject({ httpStatus: 403 });
      await questions.answer({ runId, questionId, answer: { jurisdiction: 'DE' } }, OPERATOR);
      await expect(questions.answer({ runId, questionId, answer: 'FR' }, OPERATOR)).rejects.toMatchObject({ code: 'question.closed', httpStatus: 409 });

      const events = await waitForRun(h.spine, runId);
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { answer: { answered: { jurisdiction: 'DE' } } } } });
      const answered = events.find((e) => e.type === 'task.input_provided')!;
      expect(answered).toMatchObject({ source: { kind: 'user', name: 'olga' }, causationId: asked.id, payload: { questionId, answer: { jurisdiction: 'DE' }, actor: 'olga' } });
      expect(await questions.open(OPERATOR)).toEqual([]);
      const followUp = remote.received.at(-1)!;
      expect(followUp.taskId).toBe(payloadOf(asked).remoteTaskId);
    });
  }

  it('a question left unanswered ends with the node’s timeout (and the A2A task is cancelled)', async () => {
    await reg.register({ name: 'asker', kind: 'a2a', config: { cardUrl: remote.cardUrl('stream') } }, SYSTEM);
    const { runId } = await run('asker', { mode: 'ask' }, { timeoutMs: 800 });
    const events = await waitForRun(h.spine, runId);
    expect(payloadOf(events.find((e) => e.type === 'task.failed'))).toMatchObject({ errorKind: 'timeout' });
    // The A2A task waited for input (no execution running): the SDK's handler marks it canceled itself.
    const asked = events.find((e) => e.type === 'task.input_required');
    const client = await new ClientFactory().createFromUrl(remote.cardUrl('stream'), '');
    await expect.poll(async () => (await client.getTask({ id: String(payloadOf(asked).remoteTaskId) })).status.state, { timeout: 5000 }).toBe('canceled');
    expect(await createAgentQuestions({ engine: h.service, spine: h.spine }).open(OPERATOR)).toEqual([]);
  });
});
