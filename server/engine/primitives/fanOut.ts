/**
 * fanOut: `static` starts every outgoing branch at once; the branches then run concurrently (each agent is
 * its own task) until a join meets them. One `fanout.started` event records the branches taken.
 *
 * `map` runs its one branch once per item of a list known only at run time. The list is evaluated once
 * (the CEL in `items`) and recorded in `fanout.started`, so replays never re-evaluate it. Items start in
 * list order, at most `concurrency` at a time: `fanout.item_started` is decided for the next item whenever
 * fewer are in flight (an item is in flight from its start until its copy of the branch reaches the join,
 * fails or dies out). Each item's nodes are instances `<nodeId>#<index>` (graph.ts), which see `item`,
 * `index` and their own item's results in expressions; their agent calls carry the node id and index in
 * the task payload and in their idempotency key. No item starts once the join has fired or failed.
 */
import { evaluate } from '@/server/workflows/expressions';
import { MAX_MAP_ITEMS, type FanOutNode } from '@/server/workflows/schema';
import type { Json } from '@/server/spine';
import type { Decision } from '../events';
import { decision, expressionContext, failRun, type DecideContext } from '../run/decideContext';

export function startFanOut(c: DecideContext, node: FanOutNode): Decision[] {
  const branches = (c.wf.out.get(node.id) ?? []).map((e) => e.target);
  if (node.config.mode === 'static') return [decision(c, 'fanout.started', { nodeId: node.id, branches }, node.id)];
  let items: Json;
  try {
    items = evaluate(node.config.items, expressionContext(c.state, c.now));
  } catch (e) {
    return [failRun(c, 'fanOut.items_failed', `Fan-out ${node.id}: its items expression failed: ${(e as Error).message}`, node.id)];
  }
  if (!Array.isArray(items)) return [failRun(c, 'fanOut.items_not_list', `Fan-out ${node.id}: its items expression gave ${items === null ? 'null' : typeof items}, not a list`, node.id)];
  if (items.length > MAX_MAP_ITEMS) return [failRun(c, 'fanOut.too_many_items', `Fan-out ${node.id}: ${items.length} items, at most ${MAX_MAP_ITEMS} allowed`, node.id)];
  return [decision(c, 'fanout.started', { nodeId: node.id, branches, items, concurrency: node.config.concurrency }, node.id)];
}

/** The next items to start in a running map fan-out: as many as free slots allow, in list order. */
export function startItems(c: DecideContext, fanOutId: string): Decision[] {
  const m = c.state.maps?.[fanOutId];
  if (!m || m.closed) return [];
  const out: Decision[] = [];
  for (let i = m.started; i < m.items.length && m.running + out.length < m.concurrency; i++)
    out.push(decision(c, 'fanout.item_started', { nodeId: fanOutId, index: i }, fanOutId, i));
  return out;
}
