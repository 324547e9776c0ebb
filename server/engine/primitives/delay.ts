/**
 * delay: waits for a duration or until an instant, on a durable timer (the due time is recorded in
 * `timer.scheduled`, re-armed after a restart, fired at most once). Also the set-context primitive, which
 * patches the envelope state through the same `context.patched` event any other writer uses.
 */
import { evaluate, evaluateMapping } from '@/server/workflows/expressions';
import type { DelayNode, SetContextNode } from '@/server/workflows/schema';
import type { Json } from '@/server/spine';
import type { Decision } from '../events';
import { timerId } from '../ids';
import { decision, nodeExpressionContext, failRun, type DecideContext } from './context';

export function startDelay(c: DecideContext, node: DelayNode): Decision[] {
  let due: number;
  if (node.config.mode === 'duration') due = c.now + node.config.durationMs;
  else {
    try {
      const v = evaluate(node.config.until, nodeExpressionContext(c, node.id));
      due = typeof v === 'number' ? v : Date.parse(String(v));
      if (!Number.isFinite(due)) throw new Error(`'${String(v)}' is not an instant`);
    } catch (e) {
      return [failRun(c, 'delay.invalid_instant', `Delay ${node.id}: ${(e as Error).message}`, node.id)];
    }
  }
  const id = timerId('delay', node.id);
  return [decision(c, 'timer.scheduled', { timerId: id, nodeId: node.id, dueAt: new Date(Math.max(due, c.now)).toISOString(), purpose: 'delay' }, id)];
}

export function setContext(c: DecideContext, node: SetContextNode): Decision[] {
  let patch: Record<string, Json>;
  try {
    patch = evaluateMapping(node.config.patch, nodeExpressionContext(c, node.id)) as Record<string, Json>;
  } catch (e) {
    return [failRun(c, 'setContext.failed', `Set-context ${node.id}: ${(e as Error).message}`, node.id)];
  }
  return [decision(c, 'context.patched', { patch, reason: 'setContext', nodeId: node.id }, node.id)];
}
