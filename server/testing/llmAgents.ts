/**
 * The demo agents as LLM agents: each builtin agent re-registered as kind `openai` against a fake
 * OpenAI-compatible server (fakeOpenAi.ts) whose "model" is the builtin behaviour of the same name. The
 * agent's user prompt carries the task as JSON (`{{json input}}`, the envelope's state and version, the
 * run, node, attempt and idempotency key); the fake parses it, runs the behaviour and answers its output as
 * JSON, so a workflow ends exactly as with builtin agents while every call goes through the openai
 * adapter, the SDK and real HTTP. Per-agent options as for builtins: `latencyMs` (the fake answers after
 * it), `failFirst` (attempts up to n answer 500).
 *
 * @example
 * const fake = await startLlmDemoAgents(service, { 'case-law': { latencyMs: 30 } });
 */
import { BUILTIN_BEHAVIOURS, type AgentTask } from '@/server/agents';
import type { EngineService } from '@/server/engine';
import type { Json } from '@/server/spine';
import { startFakeOpenAi, type FakeAnswer, type FakeOpenAi } from './fakeOpenAi';

export const LLM_TASK_PROMPT =
  '{"input": {{json input}}, "state": {{json state}}, "version": {{json version}}, "runId": {{json runId}}, "nodeId": {{json nodeId}}, "attempt": {{json attempt}}}';

type TaskJson = { input: Json; state: Record<string, Json>; version: number; runId: string; nodeId: string; attempt: number };

/** Answers a request as the builtin behaviour named by its model would. */
export function builtinModel(options: Record<string, Record<string, Json>> = {}): NonNullable<FakeOpenAi['script']> {
  return (req) => {
    const name = req.body.model;
    const behaviour = BUILTIN_BEHAVIOURS[name];
    if (!behaviour) return { status: 404, body: { error: { message: `no model '${name}'` } } };
    const user = [...req.body.messages].reverse().find((m) => m.role === 'user')?.content ?? '{}';
    const t = JSON.parse(user) as TaskJson;
    const o = options[name] ?? {};
    if (typeof o.failFirst === 'number' && t.attempt <= o.failFirst) return { status: 500, body: { error: { message: `${name}: simulated failure on attempt ${t.attempt}` } } };
    const task: AgentTask = {
      runId: t.runId, nodeId: t.nodeId, attempt: t.attempt, idempotencyKey: `${t.runId}:${t.nodeId}:${t.attempt}`, input: t.input,
      envelope: { runId: t.runId, intent: null, constraints: {}, deadline: null, state: t.state, version: t.version, history: { entries: [], omitted: 0 } },
      event: { seq: 0, id: '', type: 'task.dispatched' },
    };
    let answer: FakeAnswer;
    try {
      answer = { content: JSON.stringify(behaviour.run(task)) };
    } catch (e) {
      answer = { status: 400, body: { error: { message: (e as Error).message } } };
    }
    const latency = typeof o.latencyMs === 'number' ? o.latencyMs : 0;
    return latency > 0 ? { delayMs: latency, answer } : answer;
  };
}

/** Starts a fake endpoint and registers every builtin agent as an `openai` agent served by it. */
export async function startLlmDemoAgents(service: EngineService, options: Record<string, Record<string, Json>> = {}): Promise<FakeOpenAi> {
  process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
  const fake = await startFakeOpenAi(builtinModel(options));
  for (const [name, b] of Object.entries(BUILTIN_BEHAVIOURS)) {
    await service.agentStore.upsert({
      name, kind: 'openai', description: b.description,
      config: { baseUrl: fake.baseUrl, model: name, output: 'json', userPrompt: LLM_TASK_PROMPT, systemPrompt: `You are the ${name} agent.`, pricePerMTokens: { input: 1, output: 2 } },
    });
  }
  service.agents.invalidate();
  return fake;
}
