/**
 * join: emits join.satisfied exactly once per (run, node), even on duplicate or concurrent completions or
 * after a restart: it is decided only from committed state, only while the join is pending, and its
 * idempotency key is one per (run, node), so a second decision is dropped by the log.
 *
 * Modes: `all` (every input that was not skipped has arrived), `any` (the first), `quorum k` (k inputs).
 * With a timeout, a durable timer starts when the first input arrives; on expiry `continue` fires the join
 * with what arrived, `fail` fails the run.
 */
import type { JoinNode } from '@/server/workflows/schema';
import type { Decision } from '../events';
import { timerId } from '../ids';
import { decision, failRun, type DecideContext } from './context';

export function decideJoin(c: DecideContext, node: JoinNode): Decision[] {
  const ns = c.state.nodes[node.id];
  if (!ns || ns.status !== 'pending') return [];
  const incoming = c.wf.in.get(node.id) ?? [];
  const taken = incoming.filter((e) => c.state.edges[e.id] === 'taken');
  const skipped = incoming.filter((e) => c.state.edges[e.id] === 'skipped').length;
  const open = incoming.length - taken.length - skipped;
  const arrived = taken.map((e) => e.source);
  const cfg = node.config;
  const need = cfg.mode === 'all' ? taken.length + open : cfg.mode === 'any' ? 1 : (cfg.quorum ?? 1);
  if (taken.length > 0 && taken.length >= need && (cfg.mode !== 'all' || open === 0))
    return [decision(c, 'join.satisfied', { nodeId: node.id, arrived, mode: cfg.mode, timedOut: false }, node.id)];
  if (cfg.mode === 'quorum' && taken.length + open < need)
    return [failRun(c, 'join.quorum_unreachable', `Join ${node.id} needs ${need} inputs but only ${taken.length + open} can still arrive`, node.id)];
  if (ns.timedOut) {
    if (cfg.onTimeout === 'continue' && taken.length > 0) return [decision(c, 'join.satisfied', { nodeId: node.id, arrived, mode: cfg.mode, timedOut: true }, node.id)];
    return [failRun(c, 'join.timeout', `Join ${node.id} timed out with ${taken.length} of ${incoming.length - skipped} inputs`, node.id)];
  }
  const id = timerId('joinTimeout', node.id);
  if (cfg.timeoutMs !== undefined && taken.length > 0 && !c.state.timers[id])
    return [decision(c, 'timer.scheduled', { timerId: id, nodeId: node.id, dueAt: new Date(c.now + cfg.timeoutMs).toISOString(), purpose: 'joinTimeout' }, id)];
  return [];
}
