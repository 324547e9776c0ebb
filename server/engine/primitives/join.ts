/**
 * join: emits join.satisfied exactly once per (run, node), even on duplicate or concurrent completions or
 * after a restart: it is decided only from committed state, only while the join is pending, and its
 * idempotency key is one per (run, node), so a second decision is dropped by the log.
 *
 * Modes: `all` (every input that was not skipped has arrived), `any` (the first), `quorum k` (k inputs).
 * With `any` and `quorum`, a failed branch counts as failed (its agent's failure reaches the join as a dead
 * input, see retry.ts), not as a failed run; the join fails only once k has become unreachable, by its
 * `error` edge if it has one, else by failing the run with `join.quorum_unreachable`.
 *
 * After a map fan-out, the inputs are the items: the join waits for all of them (or any, or k), a list of
 * none joins at once, and its output is the items' results in item order (null for an item that did not
 * arrive).
 *
 * With a timeout, a durable timer starts when the fan-out its branches leave starts (as a reader of the
 * workflow expects; without a fan-out upstream, at the first arrival). On expiry `continue` fires the join
 * with what arrived, `fail` fails it.
 */
import type { JoinNode } from '@/server/workflows/schema';
import type { Decision } from '../events';
import { timerId } from '../ids';
import { decision, failRun, nodeLabel, type DecideContext } from '../run/decideContext';

type Tally = { arrived: string[]; items?: number[]; open: number; dead: number; total: number };

export function decideJoin(c: DecideContext, node: JoinNode): Decision[] {
  const ns = c.state.nodes[node.id];
  if (!ns || ns.status !== 'pending') return [];
  const t = tally(c, node);
  if (!t) return [];
  const cfg = node.config;
  const need = cfg.mode === 'all' ? t.arrived.length + t.open : cfg.mode === 'any' ? 1 : (cfg.quorum ?? 1);
  const satisfied = (timedOut: boolean) => [decision(c, 'join.satisfied', { nodeId: node.id, arrived: t.arrived, mode: cfg.mode, timedOut, ...(t.items && { items: t.items }) }, node.id)];
  if (t.items && t.total === 0) return satisfied(false);
  if (t.arrived.length > 0 && t.arrived.length >= need && (cfg.mode !== 'all' || t.open === 0)) return satisfied(false);
  if (t.items && cfg.mode === 'all' && t.open === 0) return satisfied(false);
  if (cfg.mode !== 'all' && t.arrived.length + t.open < need)
    return joinFailed(c, node, 'join.quorum_unreachable', `Join ${nodeLabel(c, node.id)} needs ${need} ${t.items ? 'items' : 'inputs'} but only ${t.arrived.length + t.open} can still arrive (${t.dead} of ${t.total} failed or were skipped)`);
  if (ns.timedOut) {
    if (cfg.onTimeout === 'continue' && t.arrived.length > 0) return satisfied(true);
    return joinFailed(c, node, 'join.timeout', `Join ${nodeLabel(c, node.id)} timed out with ${t.arrived.length} of ${t.total - (t.items ? 0 : t.dead)} ${t.items ? 'items' : 'inputs'}`);
  }
  return scheduleTimeout(c, node, t);
}

/** What has arrived at the join, what can still arrive, and what cannot (failed or skipped). */
function tally(c: DecideContext, node: JoinNode): Tally | null {
  const fanOutId = c.wf.mapOfJoin.get(node.id);
  if (fanOutId) {
    const m = c.state.maps?.[fanOutId];
    if (!m) return null;
    const items: number[] = [];
    let dead = 0;
    m.status.forEach((st, i) => {
      if (st === 'done') items.push(i);
      else if (st === 'failed' || st === 'skipped') dead++;
    });
    const body = c.wf.maps.get(fanOutId)!;
    const arrived = items.map((i) => `${body.entry.target}#${i}`);
    return { arrived, items, open: m.items.length - items.length - dead, dead, total: m.items.length };
  }
  const incoming = c.wf.in.get(node.id) ?? [];
  const taken = incoming.filter((e) => c.state.edges[e.id] === 'taken');
  const dead = incoming.filter((e) => c.state.edges[e.id] === 'skipped').length;
  return { arrived: taken.map((e) => e.source), open: incoming.length - taken.length - dead, dead, total: incoming.length };
}

/** The join cannot be satisfied: its error edge if it has one, else the run fails with a readable reason. */
function joinFailed(c: DecideContext, node: JoinNode, code: string, reason: string): Decision[] {
  const hasErrorEdge = (c.wf.out.get(node.id) ?? []).some((e) => e.sourceHandle === 'error');
  if (hasErrorEdge) return [decision(c, 'node.completed', { nodeId: node.id, handle: 'error', code, reason }, node.id, 'error')];
  return [failRun(c, code, reason, node.id)];
}

function scheduleTimeout(c: DecideContext, node: JoinNode, t: Tally): Decision[] {
  const id = timerId('joinTimeout', node.id);
  if (node.config.timeoutMs === undefined || c.state.timers[id]) return [];
  const fanOutId = c.wf.fanOutOfJoin.get(node.id);
  const fan = fanOutId ? c.state.nodes[fanOutId] : undefined;
  let from: number;
  if (fan) {
    if (fan.status === 'pending' || fan.status === 'skipped' || !fan.startedAt) return [];
    from = Date.parse(fan.startedAt);
  } else {
    if (t.arrived.length === 0) return [];
    from = c.now;
  }
  return [decision(c, 'timer.scheduled', { timerId: id, nodeId: node.id, dueAt: new Date(from + node.config.timeoutMs).toISOString(), purpose: 'joinTimeout' }, id)];
}
