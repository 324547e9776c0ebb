/**
 * setContext: patches the envelope state with the node's mapping, evaluated on what the run knows, through
 * the same `context.patched` event any other writer uses (so readers see one kind of change, versioned
 * alike). A mapping that fails to evaluate fails the run readably (`setContext.failed`).
 */
import { evaluateMapping } from '@/server/workflows/expressions';
import type { SetContextNode } from '@/server/workflows/schema';
import type { Json } from '@/server/spine';
import type { Decision } from '../events';
import { decision, nodeExpressionContext, failRun, type DecideContext } from '../run/decideContext';

export function setContext(c: DecideContext, node: SetContextNode): Decision[] {
  let patch: Record<string, Json>;
  try {
    patch = evaluateMapping(node.config.patch, nodeExpressionContext(c, node.id)) as Record<string, Json>;
  } catch (e) {
    return [failRun(c, 'setContext.failed', `Set-context ${node.id}: ${(e as Error).message}`, node.id)];
  }
  return [decision(c, 'context.patched', { patch, reason: 'setContext', nodeId: node.id }, node.id)];
}
