/**
 * timeout: the run's deadline (from its envelope) is a durable timer scheduled at start; when it fires
 * before the run ends, the run fails with `run.deadline_exceeded`. Per-attempt agent timeouts are enforced
 * by the dispatcher (an aborted call is a retryable `timeout` failure); join and approval timeouts live
 * with their primitives.
 */
import type { Decision } from '../events';
import { timerId } from '../ids';
import { decision, failRun, type DecideContext } from '../run/decideContext';

export function decideDeadline(c: DecideContext): Decision[] {
  const s = c.state;
  if (!s.deadline) return [];
  if (s.deadlinePassed) return [failRun(c, 'run.deadline_exceeded', `The run's deadline ${s.deadline} passed before it finished`)];
  const id = timerId('deadline', null);
  if (s.timers[id]) return [];
  return [decision(c, 'timer.scheduled', { timerId: id, nodeId: null, dueAt: s.deadline, purpose: 'deadline' }, id)];
}
