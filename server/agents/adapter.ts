/**
 * The agent adapter contract: how the engine hands a task to an agent of some kind (builtin, http, and the
 * LLM, A2A and SDK kinds of a later issue) without knowing which. An adapter gets the task with its
 * idempotency key and the latest envelope, and resolves with the agent's JSON output or throws (see
 * errors.ts for how a throw steers retries). It must honour the abort signal (the node's timeout).
 */
import type { z } from 'zod';
import type { Envelope, Json } from '@/server/spine';

export const AGENT_KINDS = ['builtin', 'http', 'sdk'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export type AgentRecord = {
  name: string;
  kind: AgentKind;
  description: string;
  config: Record<string, Json>;
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
};

export interface AgentAdapter {
  readonly kind: AgentKind;
  /** The kind's config, when it checks one (parsed where agents are registered). */
  readonly configSchema?: z.ZodType;
  invoke(agent: AgentRecord, task: AgentTask, signal: AbortSignal): Promise<Json>;
}
