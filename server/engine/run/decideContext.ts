/**
 * The decide context: what `decide` hands every primitive (the compiled workflow, the run's state, the
 * clock and randomness passed in, never read from the environment, so decisions are reproducible), and the
 * helpers every primitive builds its decisions with (`decision` with its deterministic idempotency key and
 * recorded cause, `failRun`, the expression context a node sees). Not a primitive itself; pure.
 */
import type { Json } from '@/server/spine';
import type { ExpressionContext } from '@/server/workflows/expressions';
import type { Decision, RunEventType } from '../events';
import { instanceOf, type CompiledWorkflow } from '../graph';
import { decisionKey } from '../ids';
import type { RunState } from './evolve';

export type DecideContext = {
  wf: CompiledWorkflow;
  state: RunState;
  /** Epoch ms. */
  now: number;
  /** In [0, 1): jitter. */
  random: () => number;
  /** Whether this run is first in line for its entity key. */
  holdsKey: boolean;
  /** The run first in line for the key when this one is not (recorded in run.queued). */
  keyHolder?: string;
  /**
   * The committed state the decision starts from: last seq and envelope version. The planner (plan.ts)
   * decides on a draft that already holds its step's own provisional events, whose seqs are not real.
   * @default the state's
   */
  basis?: { seq: number; version: number };
  /**
   * The registry's current version of an agent, recorded on its dispatch (`agentVersion`); passed in like
   * the clock, so the same inputs decide the same. Undefined (or an agent it does not know): not recorded.
   */
  agentVersion?: AgentVersionOf;
};

/** An agent's current version in the registry, as data the decider reads. */
export type AgentVersionOf = (agent: string) => number | undefined;

export function basisOf(c: DecideContext): { seq: number; version: number } {
  return c.basis ?? { seq: c.state.lastSeq, version: c.state.envelopeVersion };
}

export function decision(c: DecideContext, type: RunEventType, payload: Json, ...keyParts: (string | number)[]): Decision {
  const life = c.state.reopened > 0 ? [`r${c.state.reopened}`] : [];
  const causationId = causeOf(c.state, payload);
  return { type, payload, idempotencyKey: decisionKey(c.state.runId, type, ...keyParts, ...life), ...(c.state.key && { key: c.state.key }), ...(causationId && { causationId }) };
}

/**
 * The recorded event a decision about `payload`'s node follows from: what last moved that node (its timer's
 * scheduling, for a timer); for a decision about the run as a whole, the newest event folded.
 */
export function causeOf(s: RunState, payload: Json): string | undefined {
  const p = (payload ?? {}) as { nodeId?: unknown; endNodeId?: unknown; timerId?: unknown };
  if (typeof p.timerId === 'string' && s.timers[p.timerId]?.scheduledBy) return s.timers[p.timerId]!.scheduledBy;
  const nodeId = typeof p.nodeId === 'string' ? p.nodeId : typeof p.endNodeId === 'string' ? p.endNodeId : undefined;
  return (nodeId && s.nodes[nodeId]?.causeId) || (s.lastEventId ?? undefined);
}

export function expressionContext(s: RunState, now: number, item?: unknown): ExpressionContext {
  return { input: s.input, state: s.state, intent: s.intent, constraints: s.constraints, results: s.results, now: new Date(now).toISOString(), ...(item !== undefined && { item }) };
}

export function failRun(c: DecideContext, code: string, reason: string, nodeId?: string): Decision {
  return decision(c, 'run.failed', { code, reason, ...(nodeId !== undefined && { nodeId }) }, 'failed');
}

export function nodeLabel(c: DecideContext, nodeId: string): string {
  const n = c.wf.nodes.get(nodeId);
  return n?.label ? `${n.label} (${nodeId})` : nodeId;
}

/**
 * The expression context a node's expressions see. In a map fan-out's branch (an instance id), also the
 * item, its index, and that item's own results under their node ids (`results.extract` is this item's).
 */
export function nodeExpressionContext(c: DecideContext, nodeId: string): ExpressionContext {
  const inst = instanceOf(c.wf, nodeId);
  if (!inst) return expressionContext(c.state, c.now);
  const m = c.state.maps?.[inst.fanOutId];
  const ctx = expressionContext(c.state, c.now, m?.items[inst.index] ?? null);
  return { ...ctx, index: inst.index, results: { ...c.state.results, ...(m?.results[inst.index] ?? {}) } };
}

/** The node's template id (an instance id without its `#<index>`). */
export function templateId(c: DecideContext, nodeId: string): string {
  return instanceOf(c.wf, nodeId)?.nodeId ?? nodeId;
}
