/**
 * The builtin adapter: runs a builtin behaviour in-process, with the agent's configured simulated latency
 * and failure rate. Honours the abort signal like a remote call would.
 */
import { z } from 'zod';
import type { Json } from '@/server/spine';
import { NonRetryableAgentError } from '../errors';
import type { AgentAdapter, AgentRecord, AgentTask } from '../adapter';
import { BUILTIN_BEHAVIOURS } from './agents';

const num = (v: Json | undefined, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** A builtin agent's config. Without `behaviour` the agent's name names it. */
export const BuiltinConfig = z
  .object({
    /** Which builtin behaviour runs (see builtin/agents.ts). @default the agent's name */
    behaviour: z.string().refine((b) => Object.hasOwn(BUILTIN_BEHAVIOURS, b), { message: `not a builtin behaviour (one of ${Object.keys(BUILTIN_BEHAVIOURS).join(', ')})` }).optional(),
    /** Simulated work per task, ms. @default 0 (runs inline) */
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    /** Fail the first n attempts (retry demos). @default 0 */
    failFirst: z.number().int().min(0).max(100).optional(),
    /** Chance of a retryable failure per attempt, 0..1. @default 0 */
    failureRate: z.number().min(0).max(1).optional(),
  })
  .strict();
export type BuiltinConfig = z.infer<typeof BuiltinConfig>;

export class BuiltinAdapter implements AgentAdapter {
  readonly kind = 'builtin' as const;
  readonly configSchema = BuiltinConfig;
  constructor(private readonly random: () => number = Math.random) {}

  /**
   * Zero-latency builtin agents are pure, in-process and instant: the engine may run them inline, inside
   * the step that dispatches them, and record dispatch and result in the same commit (like Temporal's
   * local activities). Crash safety is unchanged: nothing is recorded until that commit, and a replay runs
   * them again (at least once, as for every agent).
   */
  static runsInline(agent: AgentRecord): boolean {
    return agent.kind === 'builtin' && num(agent.config.latencyMs, 0) <= 0;
  }

  /** The synchronous call behind runsInline agents; throws like invoke. */
  runInline(agent: AgentRecord, task: AgentTask): Json {
    const behaviourName = typeof agent.config.behaviour === 'string' ? agent.config.behaviour : agent.name;
    const behaviour = BUILTIN_BEHAVIOURS[behaviourName];
    if (!behaviour) throw new NonRetryableAgentError(`no builtin behaviour '${behaviourName}'`);
    if (task.attempt <= num(agent.config.failFirst, 0)) throw new Error(`${agent.name}: simulated failure on attempt ${task.attempt}`);
    if (this.random() < num(agent.config.failureRate, 0)) throw new Error(`${agent.name}: simulated random failure`);
    return behaviour.run(task);
  }

  async invoke(agent: AgentRecord, task: AgentTask, signal: AbortSignal): Promise<Json> {
    const behaviourName = typeof agent.config.behaviour === 'string' ? agent.config.behaviour : agent.name;
    const behaviour = BUILTIN_BEHAVIOURS[behaviourName];
    if (!behaviour) throw new NonRetryableAgentError(`no builtin behaviour '${behaviourName}'`);
    const latency = num(agent.config.latencyMs, 0);
    if (latency > 0) await sleep(latency, signal);
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    if (task.attempt <= num(agent.config.failFirst, 0)) throw new Error(`${agent.name}: simulated failure on attempt ${task.attempt}`);
    if (this.random() < num(agent.config.failureRate, 0)) throw new Error(`${agent.name}: simulated random failure`);
    return behaviour.run(task);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('aborted'));
    }, { once: true });
  });
}
