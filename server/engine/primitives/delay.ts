/**
 * delay: waits for a duration or until an instant, on a durable timer (the due time is recorded in
 * `timer.scheduled`, re-armed after a restart, fired at most once). An `until` that is not an instant fails
 * the run readably (`delay.invalid_instant`).
 */
import { evaluate } from '@/server/workflows/expressions';
import type { DelayNode } from '@/server/workflows/schema';
import type { Decision } from '../events';
import { timerId } from '../ids';
import { decision, nodeExpressionContext, failRun, type DecideContext } from '../run/decideContext';

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
