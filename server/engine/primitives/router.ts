/**
 * router: evaluates its CEL conditions in order against the envelope and results; the first that holds
 * chooses its branch, none chooses `default`. The choice is recorded once in `route.chosen`, so replays
 * never re-evaluate; untaken branches are skipped downstream by evolve.
 */
import { evaluateBoolean } from '@/server/workflows/expressions';
import type { RouterNode } from '@/server/workflows/schema';
import type { Decision } from '../events';
import { edgeHandle } from '../graph';
import { decision, nodeExpressionContext, failRun, type DecideContext } from '../run/decideContext';

export function chooseRoute(c: DecideContext, node: RouterNode): Decision[] {
  const ctx = nodeExpressionContext(c, node.id);
  let routeId = 'default';
  for (const route of node.config.routes) {
    try {
      if (evaluateBoolean(route.condition, ctx)) {
        routeId = route.id;
        break;
      }
    } catch (e) {
      return [failRun(c, 'router.condition_failed', `Router ${node.id}, route '${route.id}': ${(e as Error).message}`, node.id)];
    }
  }
  const target = (c.wf.out.get(node.id) ?? []).find((e) => edgeHandle(e) === routeId)?.target ?? null;
  return [decision(c, 'route.chosen', { nodeId: node.id, routeId, target }, node.id)];
}
