/**
 * The agent adapter contract: how the engine hands a task to an agent of some kind (builtin, http, openai,
 * and the A2A and SDK kinds of a later issue) without knowing which. An adapter gets the task with its
 * idempotency key and the latest envelope, and resolves with the agent's JSON output (or an `AgentReply`:
 * the output with the tokens it used) or throws (see errors.ts for how a throw steers retries). It must
 * honour the abort signal (the node's timeout). An agent that calls other agents as tools does so through
 * the `AgentTools` the engine hands it, so each call is recorded in the log as its own step.
 */
import type { z } from 'zod';
import type { Envelope, Json } from '@/server/spine';

export const AGENT_KINDS = ['builtin', 'http', 'openai', 'sdk', 'a2a'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

/** What an agent may be asked to carry at once and how fast; absent = no limit beyond the node's own. */
export type AgentLimits = {
  /** Upper bound for one task, in ms (a node's own timeout still applies when it is shorter). */
  timeoutMs?: number;
  /** Tasks in flight at once. */
  concurrency?: number;
  /** Tasks started per minute. */
  ratePerMinute?: number;
};

export type AgentRecord = {
  name: string;
  kind: AgentKind;
  description: string;
  config: Record<string, Json>;
  /** The registry's fields (server/agents/store.ts fills them; a record built in code may leave them out). */
  version?: number;
  capabilities?: string[];
  /** JSON Schema of the task input / the agent's output, when the agent declares one. */
  inputSchema?: Json | null;
  outputSchema?: Json | null;
  limits?: AgentLimits;
  /** Its calls reach the outside world (a payment, a booking): a fork never calls it unless it allows side effects. */
  sideEffects?: boolean;
};

export type AgentTask = {
  runId: string;
  nodeId: string;
  attempt: number;
  /** Same for every call of the same (run, node, attempt): agents use it to deduplicate side effects. */
  idempotencyKey: string;
  input: Json;
  envelope: Envelope;
  /** The task.dispatched event that asked for this call. */
  event: { seq: number; id: string; type: string };
  /**
   * The task's W3C trace context (its span within the run's trace): adapters pass it on as the protocol
   * says (the `traceparent` / `tracestate` headers over HTTP, A2A message metadata, the SDK task), so the
   * agent's own spans join the run's trace. Absent when the run has none.
   */
  trace?: TraceContext;
};

/** W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent` = `00-<trace id>-<span id>-<flags>`. */
export type TraceContext = { traceparent: string; tracestate?: string };

/** A task's trace context as HTTP headers (`traceparent`, `tracestate`), for the adapters that call over HTTP. */
export function traceHeaders(trace: TraceContext | undefined): Record<string, string> {
  if (!trace) return {};
  return { traceparent: trace.traceparent, ...(trace.tracestate && { tracestate: trace.tracestate }) };
}

/** Tokens a call used (an LLM agent's), and its cost where the agent has a price per 1M tokens. */
export type AgentUsage = { inputTokens: number; outputTokens: number; model: string; cost?: number };

/** An agent's output with what producing it used; `task.completed` records the usage beside the output. */
export class AgentReply {
  constructor(readonly output: Json, readonly usage?: AgentUsage) {}
}

/** A Spine agent offered to an LLM agent as a function tool. */
export type ToolSpec = { name: string; description: string; parameters: Record<string, Json> };

/** A tool call as the engine records it (`task.tool_called`). */
export type ToolCall = { tool: string; callId: string; round: number; arguments: Json };

/**
 * Other Spine agents, callable as tools (the engine implements this; dispatcher.ts). `call` invokes the
 * agent through the registry, the same adapter path as a task, and records the call in the log before
 * it resolves; it throws what the agent threw.
 */
export type AgentTools = {
  describe(names: readonly string[]): Promise<ToolSpec[]>;
  call(call: ToolCall, signal: AbortSignal): Promise<Json>;
  /**
   * Records a status update the agent reported while it works on the task (an A2A task's status updates)
   * as `task.progress` (`task.input_required` when the agent waits for input), caused by the task's
   * dispatch. Resolves once the event is in the log.
   */
  progress?(update: AgentProgress): Promise<void>;
  /**
   * Asks a person for the input the agent needs (an A2A task in `input-required`): records
   * `task.input_required` with a `questionId`, shown in the approvals inbox, and resolves with the answer
   * a person gives there (`task.input_provided`). Waiting counts against the task's time limit; the signal
   * (timeout, run ended) ends the wait.
   */
  ask?(question: AgentQuestion, signal: AbortSignal): Promise<Json>;
};

/** What an agent asks a person (the question's text, and any structured data it came with). */
export type AgentQuestion = { question: string; data?: Json; remoteTaskId?: string };

/** A status update an agent reported mid-task, as `task.progress` records it. */
export type AgentProgress = {
  /** The agent's own state name (A2A: `submitted`, `working`, `input-required`, ...). */
  state: string;
  /** The agent's id for the task on its side (an A2A task id). */
  remoteTaskId?: string;
  /** What the agent said with the update (its text parts), if anything. */
  message?: string;
  /** Structured data the update carried (its data parts), if any. */
  data?: Json;
};

export interface AgentAdapter {
  readonly kind: AgentKind;
  /**
   * The shape of `config` for this kind: the registry parses a record's config with it on create and update
   * and refuses (400 `agent.invalid_config`) what does not fit. Without one, any JSON object is accepted.
   */
  readonly configSchema?: z.ZodType;
  /**
   * Completes a config before it is stored (after `configSchema` accepted it): the A2A kind fetches the
   * agent's card here. Throws a SpineError (400) to refuse the registration.
   */
  prepareConfig?(config: Record<string, Json>): Promise<Record<string, Json>>;
  invoke(agent: AgentRecord, task: AgentTask, signal: AbortSignal, tools?: AgentTools): Promise<Json | AgentReply>;
}
