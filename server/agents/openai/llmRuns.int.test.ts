/**
 * LLM agents in runs, on the selected database, against the fake OpenAI-compatible server: an LLM router
 * whose tools are Spine agents (each call its own `task.tool_called`, caused by the dispatch, shown on the
 * reasoning path), Retry-After steering the engine's retry, a JSON answer that stays invalid failing the
 * task for good, the node's timeout cutting a slow call, and tokens summed per run and per agent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Json, SpineEvent } from '@/server/spine';
import { seedDemo } from '@/server/demo';
import { observability, runUsage } from '@/server/observability';
import { openHarness, publishDocument, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { startFakeOpenAi, type FakeOpenAi } from '@/server/testing/fakeOpenAi';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';

const fastRetry = { maxAttempts: 2, initialBackoffMs: 1, backoffMultiplier: 1, maxBackoffMs: 1, jitter: 0 };

function oneAgent(agent: string, config: Record<string, Json> = {}): WorkflowDocumentInput {
  return {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
      { id: 'llm', kind: 'agent', label: 'LLM', position: { x: 1, y: 0 }, config: { agent, ...config } },
      { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success', output: { answer: 'results.llm' } } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'llm' },
      { id: 'e2', source: 'llm', target: 'done' },
    ],
  };
}

const payloadOf = <T = Record<string, Json>>(e: SpineEvent | undefined) => e?.payload as T;

describe(`LLM agents in runs (${testDbKind()})`, () => {
  let h: Harness | undefined;
  let fake: FakeOpenAi | undefined;
  const allow = process.env.SPINE_OUTBOUND_ALLOW;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
    h = undefined;
    fake = undefined;
    if (allow === undefined) delete process.env.SPINE_OUTBOUND_ALLOW;
    else process.env.SPINE_OUTBOUND_ALLOW = allow;
  });

  async function setup(name: string, config: Record<string, Json>) {
    process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    h = await openHarness();
    fake = await startFakeOpenAi();
    await h.service.agentStore.upsert({ name, kind: 'openai', description: 'An LLM agent', config: { baseUrl: fake.baseUrl, model: 'fake-1', ...config } });
    h.service.agents.invalidate();
    return { h, fake };
  }

  it('an LLM router calls Spine agents as tools: each call is a task.tool_called caused by the dispatch, on the reasoning path; tokens per run and per agent', async () => {
    const { h, fake } = await setup('llm-router', { tools: ['precedent', 'sentiment'], userPrompt: 'Case: {{input.facts}}', pricePerMTokens: { input: 3, output: 15 } });
    fake.queue(
      { toolCalls: [{ name: 'precedent', arguments: { facts: 'GDPR breach' } }] },
      { toolCalls: [{ name: 'sentiment', arguments: { text: 'great service' } }, { name: 'no-such-tool', arguments: {} }] },
      { content: 'Route to precedent research.' },
    );
    const wf = await publishDocument(h, 'LLM router', oneAgent('llm-router') as never);
    const { runId } = await h.service.startRun(wf, { input: { facts: 'GDPR breach' } }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { answer: { text: 'Route to precedent research.' } } } });

    const dispatched = events.find((e) => e.type === 'task.dispatched')!;
    const tools = events.filter((e) => e.type === 'task.tool_called');
    expect(tools.map((e) => payloadOf(e))).toMatchObject([
      { nodeId: 'llm', attempt: 1, tool: 'precedent', round: 1, n: 1, arguments: { facts: 'GDPR breach' }, output: { precedents: expect.any(Number) } },
      { nodeId: 'llm', attempt: 1, tool: 'sentiment', round: 2, n: 2, arguments: { text: 'great service' }, output: { sentiment: 'positive', appropriate: true } },
    ]);
    for (const t of tools) expect(t).toMatchObject({ causationId: dispatched.id, source: { kind: 'engine' } });
    const completed = events.find((e) => e.type === 'task.completed')!;
    for (const t of tools) expect(t.seq).toBeLessThan(completed.seq);
    // What the model saw: the tools with their descriptions, and the rendered prompt.
    expect(fake.requests[0]!.body.tools!.map((t) => [t.function.name, t.function.description])).toEqual([
      ['precedent', 'Looks for precedents with similar facts.'],
      ['sentiment', 'Classifies sentiment and whether the text is appropriate to process.'],
    ]);
    expect(fake.requests[0]!.body.messages).toEqual([{ role: 'user', content: 'Case: GDPR breach' }]);
    expect(fake.requests[2]!.body.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content!) as Json)).toEqual([
      payloadOf(tools[0]).output, payloadOf(tools[1]).output, { error: "no tool 'no-such-tool'" },
    ]);

    const usage = payloadOf<{ inputTokens: number; outputTokens: number; model: string; cost: number }>(completed);
    const sent = fake.requests.reduce((a, r) => a + Math.ceil(r.body.messages.map((m) => (m.content ?? '') + (m.tool_calls ? JSON.stringify(m.tool_calls) : '')).join('').length / 4), 0);
    expect(usage).toMatchObject({ inputTokens: sent, model: 'fake-1' });
    expect(usage.outputTokens).toBeGreaterThan(0);
    expect(usage.cost).toBeCloseTo((usage.inputTokens * 3 + usage.outputTokens * 15) / 1e6, 9);

    const obs = observability({ spine: h.spine, engine: h.service });
    const path = await obs.reasoningPath(runId, String(completed.seq));
    const hop = path.hops.find((x) => x.nodeId === 'llm')!;
    expect(hop.attempts[0]!.tools!.map((t) => [t.tool, t.round])).toEqual([['precedent', 1], ['sentiment', 2]]);
    expect(hop.events).toEqual(expect.arrayContaining(tools.map((t) => t.seq)));

    const detail = await obs.runDetail(runId);
    expect(detail.usage).toMatchObject({ inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, calls: 1, priced: 1 });
    expect(detail.usage!.cost).toBeCloseTo(usage.cost, 9);

    // A second run: the overview sums both runs' tokens for the agent.
    fake.queue({ content: 'Nothing to route.' });
    const second = await h.service.startRun(wf, { input: { facts: 'minor' } }, 'tom');
    const e2 = await waitForRun(h.spine, second.runId);
    const u2 = payloadOf<{ inputTokens: number; outputTokens: number; cost: number }>(e2.find((e) => e.type === 'task.completed'));
    const ov = await obs.overview({ window: '1h' });
    const row = ov.agents.find((a) => a.agent === 'llm-router')!;
    expect(row).toMatchObject({ inputTokens: usage.inputTokens + u2.inputTokens, outputTokens: usage.outputTokens + u2.outputTokens });
    expect(row.cost).toBeCloseTo(usage.cost + u2.cost, 9);
    // Builtin agents record no usage and no cost.
    expect(ov.agents.find((a) => a.agent === 'precedent')).toBeUndefined();
    expect((await obs.runDetail(second.runId)).usage).toMatchObject({ calls: 1 });
  });

  it('429 with Retry-After: the engine waits that long before the next attempt, then the run completes', async () => {
    const { h, fake } = await setup('llm-limited', {});
    fake.queue({ status: 429, headers: { 'retry-after': '1' } }, { content: 'ok now' });
    const wf = await publishDocument(h, 'Rate limited', oneAgent('llm-limited', { retry: fastRetry }) as never);
    const { runId } = await h.service.startRun(wf, { input: {} }, 'tom');
    const events = await waitForRun(h.spine, runId);
    const failed = events.find((e) => e.type === 'task.failed')!;
    expect(failed.payload).toMatchObject({ retryable: true, retryAfterMs: 1000 });
    const retried = events.find((e) => e.type === 'task.retried')!;
    expect(Date.parse(payloadOf<{ dueAt: string }>(retried).dueAt) - Date.parse(failed.time)).toBeGreaterThanOrEqual(990);
    const second = events.find((e) => e.type === 'task.dispatched' && payloadOf<{ attempt: number }>(e).attempt === 2)!;
    expect(Date.parse(second.time) - Date.parse(failed.time)).toBeGreaterThanOrEqual(990);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { answer: { text: 'ok now' } } } });
    expect(fake.requests).toHaveLength(2);
  });

  it('JSON that stays invalid after the repair request fails the task for good (no retry), naming the violation, and its tokens count', async () => {
    const { h, fake } = await setup('llm-json', { output: 'json', pricePerMTokens: { input: 1, output: 2 } });
    fake.queue({ content: 'not json' }, { content: '{"still": "not closed"' });
    const wf = await publishDocument(h, 'Bad JSON', oneAgent('llm-json', { retry: fastRetry }) as never);
    const { runId } = await h.service.startRun(wf, { input: {} }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(events.filter((e) => e.type === 'task.dispatched')).toHaveLength(1);
    expect(events.find((e) => e.type === 'task.failed')!.payload).toMatchObject({ retryable: false, errorKind: 'non_retryable', error: expect.stringContaining("agent 'llm-json' answered invalid JSON twice") });
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', payload: { nodeId: 'llm' } });
    expect(fake.requests).toHaveLength(2);
    // Both requests were paid for: the failure records their tokens and cost, and the run's usage sums them.
    const spent = payloadOf<{ inputTokens: number; outputTokens: number; cost: number; model: string }>(events.find((e) => e.type === 'task.failed')!);
    expect(spent.inputTokens).toBeGreaterThan(0);
    expect(spent.outputTokens).toBeGreaterThan(0);
    expect(spent.cost).toBeCloseTo((spent.inputTokens * 1 + spent.outputTokens * 2) / 1e6, 9);
    expect(runUsage(events)).toMatchObject({ inputTokens: spent.inputTokens, outputTokens: spent.outputTokens, calls: 1, priced: 1 });
  });

  it("the node's timeout aborts a slow call", async () => {
    const { h, fake } = await setup('llm-slow', {});
    fake.script = () => ({ delayMs: 5000, answer: { content: 'too late' } });
    const wf = await publishDocument(h, 'Slow', oneAgent('llm-slow', { timeoutMs: 200, retry: { ...fastRetry, maxAttempts: 1 } }) as never);
    const t0 = Date.now();
    const { runId } = await h.service.startRun(wf, { input: {} }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(events.find((e) => e.type === 'task.failed')!.payload).toMatchObject({ errorKind: 'timeout', error: 'timed out after 200 ms' });
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('the template "Legal case with LLM specialists": builtin stand-ins without an endpoint, LLM agents on the one the seed is given', async () => {
    process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    h = await openHarness();
    expect((await h.service.agentStore.get('llm-summarizer')).kind).toBe('builtin');
    const standIn = await h.service.startRun('legal-case-llm', { input: { facts: 'A small contract dispute' } }, 'tom');
    expect((await waitForRun(h.spine, standIn.runId)).at(-1)).toMatchObject({ type: 'run.completed', payload: { endNodeId: 'done' } });

    fake = await startFakeOpenAi((req) => {
      const system = req.body.messages[0]!.content ?? '';
      if (system.includes('senior partner')) return { content: JSON.stringify({ risk: 'high', summary: 'GDPR exposure is material.' }) };
      if (system.includes('compliance')) return { content: JSON.stringify({ level: 'high', reasons: ['GDPR'] }) };
      return { content: JSON.stringify({ ok: true }) };
    });
    await seedDemo(h.service, { latency: false, llm: { baseUrl: fake.baseUrl, model: 'fake-legal', apiKey: 'sk-demo' } });
    const summarizer = await h.service.agentStore.get('llm-summarizer');
    expect(summarizer).toMatchObject({ kind: 'openai', config: { baseUrl: fake.baseUrl, model: 'fake-legal', output: 'json', apiKey: 'sk-demo' } });
    const stored = await h.db.agent.findUnique({ where: { name: 'llm-summarizer' } });
    expect(stored!.config).not.toContain('sk-demo');

    const { runId } = await h.service.startRun('legal-case-llm', { input: { facts: 'GDPR breach at a subsidiary' }, intent: 'Assess the case' }, 'tom');
    const asked = await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested');
    await h.service.decideApproval(payloadOf<{ approvalId: string }>(asked).approvalId, { decision: 'approve' }, { name: 'paula' });
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { endNodeId: 'released' } });
    expect(fake.requests).toHaveLength(6);
    for (const r of fake.requests) expect(r).toMatchObject({ headers: { authorization: 'Bearer sk-demo' }, body: { model: 'fake-legal', temperature: 0, response_format: { type: 'json_object' } } });
    const last = fake.requests.find((r) => (r.body.messages[0]!.content ?? '').includes('senior partner'))!;
    expect(last.body.messages[1]!.content).toContain('"regulatoryRisk":{"level":"high","reasons":["GDPR"]}');
    expect(last.body.messages[1]!.content).toContain('Intent: Assess the case');
    expect((await h.spine.envelope(runId)).state.summary).toEqual({ risk: 'high', summary: 'GDPR exposure is material.' });
  });
});
