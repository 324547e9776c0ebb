/**
 * retry: a failed attempt is retried with exponential backoff and jitter until the node's policy is
 * exhausted; then the error edge is taken if the node has one; else, on the way to an `any` / `quorum`
 * join, its branch fails (the join counts it as failed); else the run fails with a readable reason.
 * The backoff instant is decided once and recorded in `task.retried`, so replays never re-roll it, and the
 * wait is a durable timer that survives restarts.
 */
import type { AgentNode } from '@/server/workflows/schema';
import type { Decision } from '../events';
import { timerId } from '../ids';
import type { NodeState } from '../run/evolve';
import { decision, failRun, nodeLabel, templateId, type DecideContext } from '../run/decideContext';

export type RetryPolicy = AgentNode['config']['retry'];

/** Delay before attempt `attempt + 1`, after `attempt` failed. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.backoffMultiplier ** (attempt - 1));
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}

export function onFailure(c: DecideContext, node: AgentNode, ns: NodeState): Decision[] {
  const failure = ns.failure!;
  const policy = node.config.retry;
  if (failure.retryable && ns.attempt < policy.maxAttempts) {
    const wait = failure.retryAfterMs ?? backoffMs(policy, ns.attempt, c.random);
    const id = timerId('retry', node.id, ns.attempt);
    return [decision(c, 'task.retried', { nodeId: node.id, attempt: ns.attempt, nextAttempt: ns.attempt + 1, dueAt: new Date(c.now + wait).toISOString(), timerId: id }, node.id, ns.attempt)];
  }
  const hasErrorEdge = (c.wf.out.get(node.id) ?? []).some((e) => e.sourceHandle === 'error');
  if (hasErrorEdge) return [decision(c, 'node.completed', { nodeId: node.id, handle: 'error' }, node.id, 'error', ns.attempt)];
  const why = failure.retryable ? `failed after ${ns.attempt} attempt(s)` : 'failed (not retryable)';
  const reason = `Agent node ${nodeLabel(c, node.id)} ${why}: ${failure.error}`;
  // On the way to an `any` / `quorum` join, the branch fails, not the run: the join counts it.
  if (c.wf.absorbedBy.has(templateId(c, node.id))) return [decision(c, 'node.completed', { nodeId: node.id, handle: 'error', code: 'node.failed', reason }, node.id, 'error', ns.attempt)];
  return [failRun(c, 'node.failed', reason, node.id)];
}
