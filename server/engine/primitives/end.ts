/**
 * end: the first end node reached finishes the run: `success` completes it with the node's output mapping
 * (or every result when it has none), `failure` fails it. Branches still working are abandoned; their late
 * results are ignored.
 */
import type { Json } from '@/server/spine';
import { evaluateMapping } from '@/server/workflows/expressions';
import type { EndNode } from '@/server/workflows/schema';
import type { Decision } from '../events';
import { decision, expressionContext, failRun, nodeLabel, type DecideContext } from '../run/decideContext';

export function finish(c: DecideContext, node: EndNode): Decision[] {
  if (node.config.outcome === 'failure') return [failRun(c, 'end.failure', `Reached failure end ${nodeLabel(c, node.id)}`, node.id)];
  let output: Json;
  try {
    output = node.config.output ? (evaluateMapping(node.config.output, expressionContext(c.state, c.now)) as Json) : c.state.results;
  } catch (e) {
    return [failRun(c, 'end.output_failed', `End ${node.id}: output mapping failed: ${(e as Error).message}`, node.id)];
  }
  return [decision(c, 'run.completed', { output, endNodeId: node.id }, 'completed')];
}
