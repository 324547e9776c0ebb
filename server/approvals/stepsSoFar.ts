/**
 * The steps a run has completed so far, for the person about to decide an approval: a flat list, in the
 * order of the run's events. An agent step names the agent and summarizes its output; a router step names
 * the route taken; an approval step names who voted what; a context step lists the keys changed. Pure:
 * events and the workflow document in, plain records out. Outputs are summarized as JSON text (never
 * markup), cut at OUTPUT_SUMMARY_CHARS. (Not the reasoning path: the causal graph behind one result, hop by
 * hop, is server/observability/reasoningPath.ts; this is what an approver reads at a glance.)
 */
import type { SpineEvent } from '@/server/spine/events';
import type { WorkflowDocument } from '@/server/workflows/schema';

/** Longest output summary. @default 240 */
export const OUTPUT_SUMMARY_CHARS = 240;

export type PathStep =
  | { kind: 'agent'; seq: number; at: string; nodeId: string; label: string; agent: string; attempt: number; outcome: 'completed' | 'failed'; summary: string }
  | { kind: 'route'; seq: number; at: string; nodeId: string; label: string; route: string }
  | { kind: 'approval'; seq: number; at: string; nodeId: string; label: string; decision: 'approve' | 'reject'; actor: string; comment: string | null; auto: boolean }
  | { kind: 'context'; seq: number; at: string; actor: string; keys: string[] };

/** JSON text of a value, cut to `max` characters with an ellipsis. */
export function summarize(value: unknown, max = OUTPUT_SUMMARY_CHARS): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

type P = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The completed steps of `events` (one run's, in seq order). */
export function stepsSoFar(events: readonly SpineEvent[], doc: WorkflowDocument): PathStep[] {
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
  const labelOf = (id: string) => nodes.get(id)?.label?.trim() || id;
  const agentOf = new Map<string, string>();
  const steps: PathStep[] = [];
  for (const e of events) {
    const p = (e.payload ?? {}) as P;
    const nodeId = str(p.nodeId);
    switch (e.type) {
      case 'task.dispatched':
        agentOf.set(`${nodeId}#${String(p.attempt)}`, str(p.agent));
        break;
      case 'task.completed':
      case 'task.failed': {
        // Retryable failures are followed by another attempt; only the last word on a node is a step.
        if (e.type === 'task.failed' && p.retryable === true) break;
        const node = nodes.get(nodeId);
        const agent = agentOf.get(`${nodeId}#${String(p.attempt)}`) ?? (node?.kind === 'agent' ? node.config.agent : '');
        steps.push({
          kind: 'agent', seq: e.seq, at: e.time, nodeId, label: labelOf(nodeId), agent, attempt: Number(p.attempt) || 1,
          outcome: e.type === 'task.completed' ? 'completed' : 'failed',
          summary: e.type === 'task.completed' ? summarize(p.output) : summarize(p.error),
        });
        break;
      }
      case 'route.chosen': {
        const node = nodes.get(nodeId);
        const routeId = str(p.routeId);
        const route = node?.kind === 'router' ? node.config.routes.find((r) => r.id === routeId) : undefined;
        steps.push({ kind: 'route', seq: e.seq, at: e.time, nodeId, label: labelOf(nodeId), route: routeId === 'default' ? 'otherwise' : route?.label?.trim() || routeId });
        break;
      }
      case 'approval.decided':
        steps.push({
          kind: 'approval', seq: e.seq, at: e.time, nodeId, label: labelOf(nodeId), decision: p.decision === 'reject' ? 'reject' : 'approve',
          actor: str(p.actor), comment: typeof p.comment === 'string' ? p.comment : null, auto: p.auto === true,
        });
        break;
      case 'context.patched':
        steps.push({ kind: 'context', seq: e.seq, at: e.time, actor: e.source.name, keys: Object.keys((p.patch ?? {}) as P) });
        break;
    }
  }
  return steps;
}
