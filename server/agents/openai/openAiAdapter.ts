/**
 * The LLM agent: one Chat Completions conversation per task on any OpenAI-compatible endpoint, through the
 * official `openai` client with Spine's outbound guard as its fetch (private addresses refused unless
 * allowed by SPINE_OUTBOUND_ALLOW) and its own retries off, so the node's retry policy is the only one:
 * 429 and 5xx throw a retryable error (RetryAfterError when the endpoint says `Retry-After`), other 4xx a
 * non-retryable one. The request timeout is the config's `timeoutMs`; the node's timeout aborts the call.
 *
 * Output `text` is `{ text }`. Output `json` asks for structured output (`response_format: json_schema`
 * when the agent has an output schema, else `json_object`; an endpoint that refuses one is asked with the
 * next, and the answer is parsed either way), validates it with Ajv against the agent's output schema, and
 * on a violation asks ONCE more with the error; a second bad answer fails the task for good, naming the
 * first violation. Tokens of every request of the task are summed into the reply's usage. Every request
 * carries the task's W3C `traceparent` / `tracestate` headers (its span in the run's trace).
 *
 * With `tools`, each named Spine agent is offered as a function tool; a tool call is made through the
 * `AgentTools` the engine hands in (recorded in the log as `task.tool_called`), its output sent back, for
 * at most `maxToolRounds` rounds. With `mcpServers`, the tools those MCP servers list are offered too
 * (function names `<server>__<tool>`), called through the same `AgentTools` (mcpTools.ts), so each MCP
 * call is a `task.tool_called` like an agent call.
 */
import type OpenAIClient from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isSpineError } from '@/server/errors';
import type { Json } from '@/server/spine';
import { NonRetryableAgentError, RetryAfterError } from '../errors';
import { AgentReply, traceHeaders, type AgentAdapter, type AgentRecord, type AgentTask, type AgentTools, type AgentUsage } from '../adapter';
import { validatorsOf } from '../schemas';
import { OpenAiAgentConfig } from './config';
import { renderPrompt } from './prompt';
import { guardedFetch, mcpToolsOf } from './mcpTools';

/** The SDK, loaded by the first call of an LLM agent: a process that calls none does not hold it (~10 MiB). */
let openAiSdk: Promise<typeof import('openai')> | undefined;
const loadOpenAi = () => (openAiSdk ??= import('openai'));

/** How structured output is asked for, best first; an endpoint that refuses one level is asked with the next. */
type FormatLevel = 'json_schema' | 'json_object' | 'none';
const NEXT_LEVEL: Record<FormatLevel, FormatLevel | null> = { json_schema: 'json_object', json_object: 'none', none: null };
/** What each endpoint (base URL) was found to refuse, so later tasks start at the level it accepts. */
const acceptedLevel = new Map<string, FormatLevel>();

const describeError = (e: ErrorObject): string => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`;

/** The JSON Schema an agent's output must match: its registered output schema, if it has one. */
function outputSchemaOf(agent: AgentRecord): Record<string, Json> | undefined {
  const s = agent.outputSchema;
  return s !== null && typeof s === 'object' && !Array.isArray(s) ? s : undefined;
}

/** Seconds or an HTTP date (`Retry-After`), or milliseconds (`retry-after-ms`, OpenAI's). */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (headers?.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const v = headers?.get('retry-after');
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

class FormatRefused extends Error {}

export class OpenAiAdapter implements AgentAdapter {
  readonly kind = 'openai' as const;
  readonly configSchema = OpenAiAgentConfig;

  async invoke(agent: AgentRecord, task: AgentTask, signal: AbortSignal, tools?: AgentTools): Promise<AgentReply> {
    const parsed = OpenAiAgentConfig.safeParse(agent.config);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new NonRetryableAgentError(`agent '${agent.name}' has an invalid config: ${i.path.join('.') || 'config'}: ${i.message}`);
    }
    const cfg = parsed.data;
    const { default: OpenAI } = await loadOpenAi();
    const client = new OpenAI({ baseURL: cfg.baseUrl, apiKey: cfg.apiKey ?? 'none', maxRetries: 0, timeout: cfg.timeoutMs, fetch: guardedFetch, defaultHeaders: traceHeaders(task.trace) });
    const usage: AgentUsage = { inputTokens: 0, outputTokens: 0, model: cfg.model };
    const schema = cfg.output === 'json' ? outputSchemaOf(agent) : undefined;

    const system = [cfg.systemPrompt !== undefined ? renderPrompt(cfg.systemPrompt, task) : '', cfg.output === 'json' ? `Answer with a single JSON object and nothing else.${schema ? ` It must match this JSON Schema: ${JSON.stringify(schema)}` : ''}` : '']
      .filter(Boolean)
      .join('\n\n');
    const messages: ChatCompletionMessageParam[] = [
      ...(system ? [{ role: 'system' as const, content: system }] : []),
      { role: 'user', content: cfg.userPrompt !== undefined ? renderPrompt(cfg.userPrompt, task) : JSON.stringify(task.input) },
    ];
    if ((cfg.tools?.length || cfg.mcpServers?.length) && !tools) throw new NonRetryableAgentError(`agent '${agent.name}' has tools but this call cannot make tool calls`);
    const mcp = cfg.mcpServers?.length ? await mcpToolsOf(agent.name, cfg, signal) : [];
    // The model's function name → the AgentTools name: a Spine agent's own name; `<server>__<tool>` for an MCP tool.
    const byFunction = new Map<string, string>((cfg.tools ?? []).map((t) => [t, t]));
    for (const m of mcp) byFunction.set(uniqueFunctionName(`${m.server}__${m.tool}`, byFunction), m.name);
    const functionOf = new Map([...byFunction].map(([fn, name]) => [name, fn]));
    const toolNames = [...byFunction.values()];
    const toolSpecs: ChatCompletionTool[] = toolNames.length && tools
      ? (await tools.describe(toolNames)).map((t) => ({ type: 'function', function: { name: functionOf.get(t.name) ?? t.name, description: t.description, parameters: t.parameters } }))
      : [];

    let level: FormatLevel = cfg.output === 'json' ? (acceptedLevel.get(cfg.baseUrl) ?? (schema ? 'json_schema' : 'json_object')) : 'none';
    if (level === 'json_schema' && !schema) level = 'json_object';

    const complete = async (): Promise<ChatCompletion> => {
      for (;;) {
        const body: ChatCompletionCreateParamsNonStreaming = {
          model: cfg.model,
          messages,
          ...(cfg.temperature !== undefined && { temperature: cfg.temperature }),
          ...(cfg.maxTokens !== undefined && { max_tokens: cfg.maxTokens }),
          ...(toolSpecs.length && { tools: toolSpecs }),
          ...(level === 'json_schema' && schema && { response_format: { type: 'json_schema', json_schema: { name: agent.name.replace(/[^A-Za-z0-9_-]/g, '_'), schema, strict: false } } }),
          ...(level === 'json_object' && { response_format: { type: 'json_object' } }),
        };
        try {
          const res = await this.request(client, agent, body, signal);
          usage.inputTokens += res.usage?.prompt_tokens ?? 0;
          usage.outputTokens += res.usage?.completion_tokens ?? 0;
          if (res.model) usage.model = res.model;
          return res;
        } catch (e) {
          const next = NEXT_LEVEL[level];
          if (!(e instanceof FormatRefused) || !next) throw (e instanceof FormatRefused ? (e.cause as Error) : e);
          level = next;
          acceptedLevel.set(cfg.baseUrl, next);
        }
      }
    };

    const answer = async (): Promise<string> => {
      for (let round = 1; ; round++) {
        const res = await complete();
        const msg = res.choices[0]?.message;
        if (!msg) throw new Error(`agent '${agent.name}': the endpoint answered no choice`);
        const calls = (msg.tool_calls ?? []).filter((c) => c.type === 'function');
        if (!calls.length || !tools) return msg.content ?? '';
        if (round > cfg.maxToolRounds) throw new NonRetryableAgentError(`agent '${agent.name}' was still calling tools after ${cfg.maxToolRounds} rounds (maxToolRounds)`, { usage: withCost(usage, cfg.pricePerMTokens) });
        messages.push({ role: 'assistant', content: msg.content ?? null, tool_calls: calls });
        for (const c of calls) {
          let content: string;
          let args: Json;
          try {
            args = JSON.parse(c.function.arguments || '{}') as Json;
          } catch {
            messages.push({ role: 'tool', tool_call_id: c.id, content: JSON.stringify({ error: 'arguments are not valid JSON' }) });
            continue;
          }
          const tool = byFunction.get(c.function.name);
          if (tool === undefined) content = JSON.stringify({ error: `no tool '${c.function.name}'` });
          else {
            try {
              content = JSON.stringify(await tools.call({ tool, callId: c.id, round, arguments: args }, signal));
            } catch (e) {
              if (signal.aborted) throw e;
              content = JSON.stringify({ error: e instanceof Error ? e.message : String(e) });
            }
          }
          messages.push({ role: 'tool', tool_call_id: c.id, content });
        }
      }
    };

    let text = await answer();
    if (cfg.output === 'text') return new AgentReply({ text }, withCost(usage, cfg.pricePerMTokens));

    // JSON: parse and validate; one repair round with the first violation, then a clear failure.
    for (let repair = 0; ; repair++) {
      const problem = checkJson(text, schema && validatorsOf(agent).output);
      if (problem.ok) return new AgentReply(problem.value, withCost(usage, cfg.pricePerMTokens));
      if (repair >= 1) throw new NonRetryableAgentError(`agent '${agent.name}' answered invalid JSON twice (after one repair request): ${problem.error}`, { usage: withCost(usage, cfg.pricePerMTokens) });
      messages.push({ role: 'assistant', content: text });
      messages.push({ role: 'user', content: `Your answer was not valid: ${problem.error}. Answer again with only the corrected JSON object.` });
      text = await answer();
    }
  }

  /** One request; the SDK's errors mapped to the ones that steer Spine's retries. */
  private async request(client: OpenAIClient, agent: AgentRecord, body: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal): Promise<ChatCompletion> {
    try {
      return await client.chat.completions.create(body, { signal });
    } catch (e) {
      if (signal.aborted) throw signal.reason ?? e;
      const { default: OpenAI } = await loadOpenAi();
      if (e instanceof OpenAI.APIConnectionTimeoutError) throw new Error(`agent '${agent.name}': the endpoint did not answer in time`, { cause: e });
      if (e instanceof OpenAI.APIConnectionError) {
        if (isSpineError(e.cause)) throw new NonRetryableAgentError(`agent '${agent.name}': ${e.cause.message}`, { cause: e.cause });
        throw new Error(`agent '${agent.name}': cannot reach the endpoint (${e.cause instanceof Error ? e.cause.message : e.message})`, { cause: e });
      }
      if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
        const detail = e.message.slice(0, 300);
        if (e.status === 400 && body.response_format && /response_format|json_schema|json_object|structured/i.test(detail)) throw new FormatRefused(detail, { cause: new NonRetryableAgentError(`agent '${agent.name}' refused the request (400): ${detail}`) });
        if (e.status === 429 || e.status >= 500) {
          const after = retryAfterMs(e.headers);
          if (after !== undefined) throw new RetryAfterError(`agent '${agent.name}': the endpoint answered ${e.status}; retry after ${after} ms`, after);
          throw new Error(`agent '${agent.name}': the endpoint answered ${e.status}: ${detail}`, { cause: e });
        }
        if (e.status === 408) throw new Error(`agent '${agent.name}': the endpoint answered 408`, { cause: e });
        throw new NonRetryableAgentError(`agent '${agent.name}' refused the request (${e.status}): ${detail}`, { cause: e });
      }
      throw e;
    }
  }
}

/** An OpenAI function name (`[A-Za-z0-9_-]{1,64}`) for `wanted`, not yet in `taken`. */
function uniqueFunctionName(wanted: string, taken: Map<string, string>): string {
  const base = wanted.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base.slice(0, 64 - String(i).length - 1)}_${i}`;
  return name;
}

/** Parses an answer and checks it with the agent's output validator (compiled once per agent version, schemas.ts). */
function checkJson(text: string, validate: ValidateFunction | undefined): { ok: true; value: Json } | { ok: false; error: string } {
  let value: Json;
  try {
    value = JSON.parse(stripFence(text)) as Json;
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
  if (!validate || validate(value)) return { ok: true, value };
  return { ok: false, error: `does not match the output schema: ${describeError(validate.errors![0]!)}` };
}

/** Models often wrap JSON in a Markdown fence even when asked not to. */
function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1]! : text;
}

function withCost(u: AgentUsage, price: { input: number; output: number } | undefined): AgentUsage {
  if (!price) return u;
  return { ...u, cost: Math.round(((u.inputTokens * price.input + u.outputTokens * price.output) / 1e6) * 1e6) / 1e6 };
}
