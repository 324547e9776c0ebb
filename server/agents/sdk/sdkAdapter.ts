/**
 * The sdk agent: an outside process (the `@spine/sdk` package, packages/sdk) that serves the agent with an
 * agent key. `invoke` offers the task on the board and waits while a process of the agent holds its lease
 * (board.ts); the node's retry and timeout policy apply as for every agent: an error posted as retryable, or
 * a lease that expired, fails the attempt retryably; the node's timeout or the run's end aborts it (the
 * holder hears of it on its stream and its `ctx.signal` fires). See README.md.
 */
import { z } from 'zod';
import type { Envelope, Json } from '@/server/spine';
import type { AgentAdapter, AgentRecord, AgentTask } from '../adapter';
import type { TaskBoard } from './board';

/** The agent's config. */
export const SdkConfig = z
  .object({
    /** Node ids (globs like `case-*`) the agent serves; informational, the SDK filters by its own `handles`. */
    handles: z.array(z.string().min(1).max(200)).max(50).optional(),
    /** How long a lease lasts without a heartbeat. @default 15000 */
    leaseMs: z.number().int().min(200).max(600_000).optional(),
  })
  .strict();
export type SdkConfig = z.infer<typeof SdkConfig>;

export const DEFAULT_LEASE_MS = 15_000;

/** The task as an sdk agent receives it when it claims it; `traceparent` / `tracestate`: its span in the run's trace. */
export type SdkTask = { id: number; key: string; agent: string; runId: string; nodeId: string; attempt: number; input: Json; envelope: Envelope; traceparent?: string; tracestate?: string };

export class SdkAdapter implements AgentAdapter {
  readonly kind = 'sdk' as const;
  readonly configSchema = SdkConfig;
  constructor(readonly board: TaskBoard) {}

  invoke(agent: AgentRecord, task: AgentTask, signal: AbortSignal): Promise<Json> {
    const leaseMs = typeof agent.config.leaseMs === 'number' ? agent.config.leaseMs : DEFAULT_LEASE_MS;
    const t: SdkTask = { id: task.event.seq, key: task.idempotencyKey, agent: agent.name, runId: task.runId, nodeId: task.nodeId, attempt: task.attempt, input: task.input, envelope: task.envelope,
      ...(task.trace && { traceparent: task.trace.traceparent, ...(task.trace.tracestate && { tracestate: task.trace.tracestate }) }) };
    return this.board.await(
      { key: task.idempotencyKey, dispatchSeq: task.event.seq, agent: agent.name, runId: task.runId, nodeId: task.nodeId, attempt: task.attempt, leaseMs, task: t as unknown as Json },
      signal,
    );
  }
}
