/**
 * The LLM agent against a real OpenAI-compatible server on loopback (server/testing/fakeOpenAi.ts): what is
 * sent (prompts rendered, model, options, tools, response format), text and JSON output, the one repair
 * retry and the clear failure after it, status codes steering retries (Retry-After honoured, the SDK's own
 * retries off), the request timeout and the node's abort, tool calls, and the outbound guard.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '@/server/spine';
import { startFakeOpenAi, type FakeOpenAi } from '@/server/testing/fakeOpenAi';
import { isNonRetryable, retryAfterOf, RetryAfterError, NonRetryableAgentError } from '../errors';
import { AgentReply, type AgentRecord, type AgentTask, type AgentTools, type ToolCall } from '../adapter';
import { OpenAiAdapter } from './openAiAdapter';

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(() => fake.close());
afterEach(() => {
  process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
  fake.requests.length = 0;
  fake.script = undefined;
});
process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';

const task: AgentTask = {
  runId: 'r1', nodeId: 'summarizer', attempt: 1, idempotencyKey: 'r1:summarizer:1', input: { facts: 'GDPR breach', amount: 3 },
  envelope: { runId: 'r1', intent: 'Assess the case', constraints: { budget: 10 }, deadline: null, state: { region: 'EU' }, version: 2, history: { entries: [], omitted: 0 } },
  event: { seq: 9, id: 'e9', type: 'task.dispatched' },
};
const agent = (config: Record<string, Json>, extra: Partial<AgentRecord> & { outputSchema?: Json } = {}): AgentRecord =>
  ({ name: 'summarizer', kind: 'openai', description: 'Summarizes', config: { baseUrl: fake.baseUrl, model: 'test-model', ...config }, ...extra }) as AgentRecord;
const adapter = new OpenAiAdapter();
const invoke = (a: AgentRecord, tools?: AgentTools, signal = new AbortController().signal) => adapter.invoke(a, task, signal, tools);
const riskSchema: Json = { type: 'object', required: ['risk'], properties: { risk: { enum: ['low', 'medium', 'high'] } } };

describe('OpenAiAdapter', () => {
  it('sends the model, options and both prompts rendered from the input and the envelope; text output is { text } with usage and cost', async () => {
    fake.queue({ content: 'The case is high risk.' });
    const reply = await invoke(agent({
      apiKey: 'sk-test', systemPrompt: 'You are a lawyer. Intent: {{intent}}.', userPrompt: 'Facts: {{input.facts}}; budget {{constraints.budget}}; state {{state}}; v{{version}}; missing [{{input.nope}}]; quoted {{json input.facts}}',
      temperature: 0.2, maxTokens: 50, pricePerMTokens: { input: 2, output: 10 },
    }));
    expect(reply).toBeInstanceOf(AgentReply);
    expect(reply.output).toEqual({ text: 'The case is high risk.' });
    const req = fake.requests[0]!;
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({ model: 'test-model', temperature: 0.2, max_tokens: 50 });
    expect(req.body.response_format).toBeUndefined();
    expect(req.body.messages).toEqual([
      { role: 'system', content: 'You are a lawyer. Intent: Assess the case.' },
      { role: 'user', content: 'Facts: GDPR breach; budget 10; state {"region":"EU"}; v2; missing []; quoted "GDPR breach"' },
    ]);
    const prompt = Math.ceil(req.body.messages.map((m) => m.content).join('').length / 4);
    const completion = Math.ceil('The case is high risk.'.length / 4);
    expect(reply.usage).toEqual({ inputTokens: prompt, outputTokens: completion, model: 'test-model', cost: (prompt * 2 + completion * 10) / 1e6 });
  });

  it('without a user prompt sends the task input as JSON', async () => {
    await invoke(agent({}));
    expect(fake.requests[0]!.body.messages).toEqual([{ role: 'user', content: JSON.stringify(task.input) }]);
  });

  it('json output: asks for json_schema with the agent output schema and returns the parsed object', async () => {
    fake.queue({ content: '{"risk":"high","why":"GDPR"}' });
    const reply = await invoke(agent({ output: 'json' }, { outputSchema: riskSchema }));
    expect(reply.output).toEqual({ risk: 'high', why: 'GDPR' });
    const rf = fake.requests[0]!.body.response_format!;
    expect(rf).toMatchObject({ type: 'json_schema', json_schema: { name: 'summarizer', schema: riskSchema } });
    expect(fake.requests[0]!.body.messages[0]!.content).toContain('JSON Schema');
  });

  it('json output without a schema asks for json_object and only parses (a fenced answer too)', async () => {
    fake.queue({ content: '```json\n{"anything":[1,2]}\n```' });
    const reply = await invoke({ ...agent({ output: 'json' }), name: 'loose' });
    expect(reply.output).toEqual({ anything: [1, 2] });
    expect(fake.requests[0]!.body.response_format).toEqual({ type: 'json_object' });
  });

  it('an endpoint that refuses json_schema is asked again with json_object', async () => {
    const a = agent({ output: 'json', baseUrl: fake.baseUrl.replace('/v1', '/old/v1') }, { outputSchema: riskSchema });
    fake.queue({ status: 400, body: { error: { message: "Unrecognized request argument: response_format.json_schema", type: 'invalid_request_error' } } }, { content: '{"risk":"low"}' });
    expect((await invoke(a)).output).toEqual({ risk: 'low' });
    expect(fake.requests.map((r) => r.body.response_format?.type)).toEqual(['json_schema', 'json_object']);
    // The endpoint's answer is remembered: the next task starts at json_object.
    fake.queue({ content: '{"risk":"low"}' });
    await invoke(a);
    expect(fake.requests[2]!.body.response_format?.type).toBe('json_object');
  });

  it('one repair retry: the validation error is sent back, and a corrected answer is accepted', async () => {
    fake.queue({ content: '{"risk":"catastrophic"}' }, { content: '{"risk":"high"}' });
    const reply = await invoke(agent({ output: 'json' }, { outputSchema: riskSchema }));
    expect(reply.output).toEqual({ risk: 'high' });
    expect(fake.requests).toHaveLength(2);
    const msgs = fake.requests[1]!.body.messages;
    expect(msgs.at(-2)).toEqual({ role: 'assistant', content: '{"risk":"catastrophic"}' });
    expect(msgs.at(-1)!.content).toContain('/risk must be equal to one of the allowed values');
    expect(reply.usage!.inputTokens).toBeGreaterThan(0);
  });

  it('malformed JSON twice: a clear non-retryable failure naming the first violation, after exactly one repair', async () => {
    fake.queue({ content: '{"risk": "high"' }, { content: 'Sure! Here it is: {risk: high}' });
    const err = await invoke(agent({ output: 'json' }, { outputSchema: riskSchema })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableAgentError);
    expect(isNonRetryable(err)).toBe(true);
    expect((err as Error).message).toMatch(/^agent 'summarizer' answered invalid JSON twice \(after one repair request\): not JSON/);
    expect(fake.requests).toHaveLength(2);

    fake.queue({ content: '{"risk":"x"}' }, { content: '{"other":1}' });
    await expect(invoke(agent({ output: 'json' }, { outputSchema: riskSchema }))).rejects.toThrow("does not match the output schema: / must have required property 'risk'");
  });

  it('429 with Retry-After throws RetryAfterError with that wait, with no retry of its own; 5xx retryable; other 4xx not', async () => {
    fake.queue({ status: 429, headers: { 'retry-after': '2' } });
    const e429 = await invoke(agent({})).catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(RetryAfterError);
    expect(retryAfterOf(e429)).toBe(2000);
    expect(fake.requests).toHaveLength(1);

    fake.queue({ status: 503, headers: { 'retry-after-ms': '250' } });
    expect(retryAfterOf(await invoke(agent({})).catch((e: unknown) => e))).toBe(250);

    fake.queue({ status: 500 });
    const e500 = await invoke(agent({})).catch((e: unknown) => e);
    expect(isNonRetryable(e500)).toBe(false);
    expect((e500 as Error).message).toContain('answered 500');

    fake.queue({ status: 401, body: { error: { message: 'bad key' } } });
    const e401 = await invoke(agent({})).catch((e: unknown) => e);
    expect(isNonRetryable(e401)).toBe(true);
    expect((e401 as Error).message).toContain('refused the request (401)');
    expect(fake.requests).toHaveLength(4);

    fake.queue({ raw: '{"id":"x","choices":[' });
    expect(isNonRetryable(await invoke(agent({})).catch((e: unknown) => e))).toBe(false);
  });

  it('a slow endpoint: the request timeout fails the try retryably; the abort signal (node timeout) cuts the call at once', async () => {
    fake.queue({ delayMs: 2000, answer: { content: 'late' } });
    const t0 = Date.now();
    const slow = await invoke(agent({ timeoutMs: 150 })).catch((e: unknown) => e);
    expect((slow as Error).message).toContain('did not answer in time');
    expect(isNonRetryable(slow)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1500);

    fake.queue({ delayMs: 2000, answer: { content: 'late' } });
    const ac = new AbortController();
    const reason = new Error('node timeout');
    setTimeout(() => ac.abort(reason), 100);
    await expect(invoke(agent({}), undefined, ac.signal)).rejects.toBe(reason);
  });

  it('the outbound guard refuses a private address unless allowed: non-retryable, nothing sent', async () => {
    delete process.env.SPINE_OUTBOUND_ALLOW;
    const err = await invoke(agent({})).catch((e: unknown) => e);
    expect(isNonRetryable(err)).toBe(true);
    expect((err as Error).message).toContain('refused (private or special address)');
    expect(fake.requests).toHaveLength(0);
    await expect(invoke(agent({ baseUrl: 'http://169.254.169.254/v1' }))).rejects.toThrow(/refused/);
  });

  it('tools: the named agents are offered as function tools; each call goes through AgentTools and its output back to the model', async () => {
    const calls: ToolCall[] = [];
    const tools: AgentTools = {
      describe: async (names) => names.map((name) => ({ name, description: `agent ${name}`, parameters: (name === 'precedent' ? { type: 'object', properties: { facts: { type: 'string' } } } : { type: 'object' }) as Record<string, Json> })),
      call: async (c) => {
        calls.push(c);
        if (c.tool === 'sentiment') throw new Error('sentiment is down');
        return { precedents: 2 };
      },
    };
    fake.queue(
      { toolCalls: [{ name: 'precedent', arguments: { facts: 'GDPR' } }, { name: 'sentiment', arguments: {} }] },
      { toolCalls: [{ name: 'precedent', arguments: { facts: 'again' } }] },
      { content: 'Two precedents.' },
    );
    const reply = await invoke(agent({ tools: ['precedent', 'sentiment'] }), tools);
    expect(reply.output).toEqual({ text: 'Two precedents.' });
    expect(fake.requests[0]!.body.tools).toEqual([
      { type: 'function', function: { name: 'precedent', description: 'agent precedent', parameters: { type: 'object', properties: { facts: { type: 'string' } } } } },
      { type: 'function', function: { name: 'sentiment', description: 'agent sentiment', parameters: { type: 'object' } } },
    ]);
    expect(calls.map((c) => [c.tool, c.round, c.arguments])).toEqual([['precedent', 1, { facts: 'GDPR' }], ['sentiment', 1, {}], ['precedent', 2, { facts: 'again' }]]);
    const second = fake.requests[1]!.body.messages;
    expect(second.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content])).toEqual([
      ['call_1_1', '{"precedents":2}'],
      ['call_1_2', '{"error":"sentiment is down"}'],
    ]);
    expect(reply.usage!.inputTokens).toBeGreaterThan(0);
  });

  it('tools: a model that keeps calling tools fails the task for good after maxToolRounds', async () => {
    fake.script = () => ({ toolCalls: [{ name: 'precedent', arguments: {} }] });
    const tools: AgentTools = { describe: async (n) => n.map((name) => ({ name, description: '', parameters: { type: 'object' } })), call: async () => ({}) };
    const err = await invoke(agent({ tools: ['precedent'], maxToolRounds: 3 }), tools).catch((e: unknown) => e);
    expect(isNonRetryable(err)).toBe(true);
    expect((err as Error).message).toContain('still calling tools after 3 rounds');
    expect(fake.requests).toHaveLength(4);
  });

  it('an invalid config fails for good, naming the field', async () => {
    await expect(invoke({ ...agent({}), config: { model: 'x' } })).rejects.toThrow("invalid config: baseUrl");
  });
});
