/**
 * fanOut: starts every outgoing branch at once; the branches then run concurrently (each agent is its own
 * task) until a join meets them. One `fanout.started` event records the branches taken.
 */
import type { Decision } from '../events';
import type { FanOutNode } from '@/server/workflows/schema';
import { decision, failRun, type DecideContext } from './context';

export function startFanOut(c: DecideContext, node: FanOutNode): Decision[] {
  if (node.config.mode !== 'static')
    return [failRun(c, 'fanOut.map_unsupported', `Fan-out ${node.id}: map mode is not supported by this engine version yet`, node.id)];
  const branches = (c.wf.out.get(node.id) ?? []).map((e) => e.target);
  return [decision(c, 'fanout.started', { nodeId: node.id, branches }, node.id)];
}
