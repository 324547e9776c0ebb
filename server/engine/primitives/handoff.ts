/**
 * handoff: an agent node is dispatched only after the completion of every node before it has committed
 * (decide runs on committed state), with the latest envelope; its result is recorded at most once per
 * attempt (deterministic idempotency keys), and a result computed on a superseded envelope follows the
 * node's on-stale policy: `rerun` (dispatch again with the new envelope), `accept`, or `fail`.
 *
 * Superseded means: someone other than the run's own nodes changed the context after the state the
 * dispatch was decided on (`basedOnSeq` in task.dispatched). That covers a change while the agent works and
 * one that committed between the decision and its append; it is judged by seq, not by the envelope
 * version the agent reports, because the node's input was mapped from the older state whatever the agent
 * read later.
 */
import type { Json } from '@/server/spine';
import { evaluateMapping } from '@/server/workflows/expressions';
import type { AgentNode } from '@/server/workflows/schema';
import type { Decision, TokenUsage } from '../events';
import { idempotencyKey } from '../ids';
import type { RunState } from '../run/evolve';
import { instanceOf } from '../graph';
import { basisOf, decision, nodeExpressionContext, type DecideContext } from '../run/decideContext';
import { taskTrace } from '../run/traceContext';

/**
 * Dispatches an attempt. In a map fan-out's branch the node is an item's instance (`<nodeId>#<index>`): the
 * task payload names the template node and the item index, the idempotency key is the instance's, and
 * without an input mapping the agent receives `{ item, index }` rather than the run input.
 */
export function dispatch(c: DecideContext, node: AgentNode, attempt: number): Decision[] {
  const inst = instanceOf(c.wf, node.id);
  const key = inst ? idempotencyKey({ runId: c.state.runId, nodeId: inst.nodeId, instance: inst.index, attempt }) : idempotencyKey({ runId: c.state.runId, nodeId: node.id, attempt });
  const { seq: basedOnSeq, version: basedOnVersion } = basisOf(c);
  const item = inst && { item: { nodeId: inst.nodeId, index: inst.index, fanOutId: inst.fanOutId } };
  const ctx = nodeExpressionContext(c, node.id);
  // A fork may pin an agent's version (an evaluation's candidate); else the registry's current one.
  const version = c.state.fork?.agentVersions?.[node.config.agent] ?? c.agentVersion?.(node.config.agent);
  const agentVersion: { agentVersion?: number } = version !== undefined ? { agentVersion: version } : {};
  // The attempt's span in the run's trace: derived from recorded data, so deciding again dispatches the same.
  const span = c.state.trace && taskTrace(c.state.trace, node.id, attempt, c.state.reopened);
  const trace: { trace?: Json } = span ? { trace: span } : {};
  // The agent's input: a mapping's result, a map item, or the run's input, which is referred to rather than copied.
  let given: { input: Json } | { inputFrom: 'run' };
  try {
    given = node.config.input ? { input: evaluateMapping(node.config.input, ctx) as Json } : inst ? { input: { item: (ctx.item ?? null) as Json, index: inst.index } } : { inputFrom: 'run' };
  } catch (e) {
    return [
      decision(c, 'task.dispatched', { nodeId: node.id, attempt, agent: node.config.agent, ...agentVersion, input: null, idempotencyKey: key, timeoutMs: node.config.timeoutMs, basedOnSeq, basedOnVersion, ...item, ...trace }, node.id, attempt, 'dispatched'),
      decision(c, 'task.failed', { nodeId: node.id, attempt, error: `input mapping failed: ${(e as Error).message}`, errorKind: 'input', retryable: false, durationMs: 0 }, node.id, attempt, 'failed'),
    ];
  }
  return [decision(c, 'task.dispatched', { nodeId: node.id, attempt, agent: node.config.agent, ...agentVersion, ...given, idempotencyKey: key, timeoutMs: node.config.timeoutMs, basedOnSeq, basedOnVersion, ...item, ...trace }, node.id, attempt, 'dispatched')];
}

/** `usage`: the tokens an LLM agent used (recorded flat on task.completed or task.failed, so SQL sums them). */
export type TaskResult =
  | { ok: true; nodeId: string; attempt: number; output: Json; envelopeVersion: number; durationMs: number; usage?: TokenUsage; /** A fork's recorded output, taken as given (no agent called). */ reused?: true; /** An agent with side effects a fork answered from the record instead of calling it. */ sideEffectHeld?: true }
  | { ok: false; nodeId: string; attempt: number; error: string; errorKind: 'error' | 'timeout' | 'non_retryable'; retryable: boolean; retryAfterMs?: number; durationMs: number; usage?: TokenUsage };

/** Usage as task.completed (and task.tool_called) record it: top-level fields. */
export function usageFields(u: TokenUsage): TokenUsage {
  return { inputTokens: u.inputTokens, outputTokens: u.outputTokens, model: u.model, ...(u.cost !== undefined && { cost: u.cost }) };
}

/** Turns an agent's result into events, or nothing if it is late (attempt superseded, run over). */
export function acceptResult(c: DecideContext, node: AgentNode, r: TaskResult): Decision[] {
  const s: RunState = c.state;
  const ns = s.nodes[node.id];
  if (s.status !== 'running' || !ns || ns.status !== 'running' || ns.attempt !== r.attempt || ns.failure || ns.redispatch) return [];
  if (!r.ok) {
    return [decision(c, 'task.failed', { nodeId: node.id, attempt: r.attempt, error: r.error, errorKind: r.errorKind, retryable: r.retryable, durationMs: r.durationMs, ...(r.retryAfterMs !== undefined && { retryAfterMs: r.retryAfterMs }), ...(r.usage && usageFields(r.usage)) }, node.id, r.attempt, 'failed')];
  }
  const basedOn = ns.dispatchedVersion ?? r.envelopeVersion;
  const out: Decision[] = [];
  if (s.externalPatchSeq > (ns.dispatchBasisSeq ?? ns.dispatchSeq ?? 0)) {
    const policy = node.config.onStale;
    out.push(decision(c, 'task.stale', { nodeId: node.id, attempt: r.attempt, basedOnVersion: basedOn, currentVersion: s.externalPatchVersion, policy }, node.id, r.attempt, 'stale'));
    if (policy === 'rerun') return out;
    if (policy === 'fail') {
      out.push(decision(c, 'task.failed', { nodeId: node.id, attempt: r.attempt, error: `result based on envelope v${basedOn}, but the context changed (v${s.externalPatchVersion})`, errorKind: 'stale', retryable: false, durationMs: r.durationMs }, node.id, r.attempt, 'failed'));
      return out;
    }
  }
  out.push(decision(c, 'task.completed', { nodeId: node.id, attempt: r.attempt, output: r.output, envelopeVersion: basedOn, durationMs: r.durationMs, ...(r.usage && usageFields(r.usage)), ...(r.reused && { reused: true }), ...(r.sideEffectHeld && { sideEffectHeld: true }) }, node.id, r.attempt, 'completed'));
  if (node.config.outputKey) out.push(decision(c, 'context.patched', { patch: { [node.config.outputKey]: r.output }, reason: 'output', nodeId: node.id }, node.id, r.attempt, 'output'));
  return out;
}
