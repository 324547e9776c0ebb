/**
 * A run's steps on a time axis: for each node, the spans in which something was happening to it, read
 * from the run's events. Pure. An agent node gets one `work` span per attempt (ending completed, failed
 * or stale) and a `retry-wait` span between a failure and the next attempt; an approval a
 * `approval-wait`; a delay a `timer-wait`; a join a `join-wait` from its first input's arrival to the
 * moment it fired; a run queued behind its entity key a `queue-wait`. Steps that take no time (the
 * trigger, a route choice, a fan-out, the end) are instants. Open spans (still running) have `endMs: null`.
 */
import type { Json, SpineEvent } from '@/server/spine';
import type { CompiledWorkflow } from '@/server/engine';
import { nodeOf, type RunTrace } from './runTrace';

export const SPAN_KINDS = ['work', 'retry-wait', 'approval-wait', 'timer-wait', 'join-wait', 'queue-wait', 'instant'] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];
export const SPAN_OUTCOMES = ['ok', 'failed', 'stale', 'rejected', 'open'] as const;
export type SpanOutcome = (typeof SPAN_OUTCOMES)[number];

export type Span = { kind: SpanKind; startMs: number; endMs: number | null; outcome: SpanOutcome; attempt?: number; seqs: number[]; note?: string };
export type WaterfallRow = { id: string; nodeId: string | null; label: string; kind: string; spans: Span[] };
export type Waterfall = { startMs: number; endMs: number | null; rows: WaterfallRow[] };

const obj = (p: Json): Record<string, Json> => (p !== null && typeof p === 'object' && !Array.isArray(p) ? p : {});
const t = (e: SpineEvent) => Date.parse(e.time);

export function buildWaterfall(trace: RunTrace, wf: CompiledWorkflow | null): Waterfall {
  const rows = new Map<string, WaterfallRow>();
  const row = (nodeId: string | null, id: string, label: string, kind: string) => {
    let r = rows.get(id);
    if (!r) {
      r = { id, nodeId, label, kind, spans: [] };
      rows.set(id, r);
    }
    return r;
  };
  const nodeRow = (nodeId: string) => {
    const n = wf?.nodes.get(nodeId);
    return row(nodeId, `node:${nodeId}`, n?.label ?? nodeId, n?.kind ?? 'node');
  };
  const open = new Map<string, Span>(); // `${node}#${attempt}` → work span; `retry:${node}`; `approval:${id}`; `timer:${id}`; 'queue'
  const required = new Map<string, number>();
  const approved = new Map<string, number>();
  let startMs: number | null = null;
  let endMs: number | null = null;

  for (const e of trace.events) {
    const p = obj(e.payload);
    const nodeId = nodeOf(e);
    const at = t(e);
    startMs ??= at;
    switch (e.type) {
      case 'run.queued': {
        const s: Span = { kind: 'queue-wait', startMs: at, endMs: null, outcome: 'open', seqs: [e.seq], note: `behind key ${String(p.key ?? '')}` };
        row(null, 'queue', 'Entity key queue', 'queue').spans.push(s);
        open.set('queue', s);
        break;
      }
      case 'run.key_acquired':
        close(open, 'queue', at, 'ok', e.seq);
        break;
      case 'task.dispatched': {
        if (!nodeId) break;
        const attempt = typeof p.attempt === 'number' ? p.attempt : 1;
        close(open, `retry:${nodeId}`, at, 'ok', e.seq);
        const s: Span = { kind: 'work', startMs: at, endMs: null, outcome: 'open', attempt, seqs: [e.seq], note: typeof p.agent === 'string' ? p.agent : undefined };
        nodeRow(nodeId).spans.push(s);
        open.set(`${nodeId}#${attempt}`, s);
        break;
      }
      case 'task.completed':
      case 'task.failed':
      case 'task.stale': {
        if (!nodeId) break;
        const k = `${nodeId}#${p.attempt}`;
        const outcome = e.type === 'task.completed' ? 'ok' : e.type === 'task.failed' ? 'failed' : 'stale';
        const s = open.get(k);
        if (s) {
          s.endMs = at;
          // A stale result followed by a failure (policy `fail`) stays marked stale.
          if (s.outcome === 'open' || outcome !== 'failed') s.outcome = outcome;
          s.seqs.push(e.seq);
          if (e.type !== 'task.stale') open.delete(k);
        }
        if (e.type === 'task.stale' && p.policy === 'rerun') {
          const w: Span = { kind: 'retry-wait', startMs: at, endMs: null, outcome: 'open', seqs: [e.seq], note: 'stale: re-run on the new context' };
          nodeRow(nodeId).spans.push(w);
          open.set(`retry:${nodeId}`, w);
        }
        break;
      }
      case 'task.retried': {
        if (!nodeId) break;
        const w: Span = { kind: 'retry-wait', startMs: at, endMs: null, outcome: 'open', seqs: [e.seq], note: p.manual ? 'manual retry' : `retry after attempt ${String(p.attempt)}` };
        nodeRow(nodeId).spans.push(w);
        open.set(`retry:${nodeId}`, w);
        break;
      }
      case 'run.reopened': {
        if (!nodeId) break;
        const w: Span = { kind: 'retry-wait', startMs: at, endMs: null, outcome: 'open', seqs: [e.seq], note: `reopened by ${String(p.actor ?? 'someone')}` };
        nodeRow(nodeId).spans.push(w);
        open.set(`retry:${nodeId}`, w);
        endMs = null;
        break;
      }
      case 'approval.requested': {
        if (!nodeId) break;
        const s: Span = { kind: 'approval-wait', startMs: at, endMs: null, outcome: 'open', seqs: [e.seq], note: `role ${String(p.role ?? '')}` };
        nodeRow(nodeId).spans.push(s);
        open.set(`approval:${String(p.approvalId)}`, s);
        required.set(`approval:${String(p.approvalId)}`, typeof p.requiredApprovals === 'number' ? p.requiredApprovals : 1);
        break;
      }
      case 'approval.decided': {
        const k = `approval:${String(p.approvalId)}`;
        const s = open.get(k);
        if (!s) break;
        s.seqs.push(e.seq);
        const approvals = (approved.get(k) ?? 0) + (p.decision === 'approve' ? 1 : 0);
        approved.set(k, approvals);
        if (p.decision === 'reject') close(open, k, at, 'rejected');
        else if (p.auto || approvals >= (required.get(k) ?? 1)) close(open, k, at, 'ok');
        break;
      }
      case 'timer.scheduled': {
        if (p.purpose !== 'delay' || !nodeId) break;
        const s: Span = { kind: 'timer-wait', startMs: at, endMs: null, outcome: 'open', seqs: [e.seq], note: `until ${String(p.dueAt ?? '')}` };
        nodeRow(nodeId).spans.push(s);
        open.set(`timer:${String(p.timerId)}`, s);
        break;
      }
      case 'timer.fired':
        close(open, `timer:${String(p.timerId)}`, at, 'ok', e.seq);
        break;
      case 'join.satisfied': {
        if (!nodeId) break;
        const edges = wf?.in.get(nodeId) ?? [];
        const arrivals = edges.map((x) => trace.edgeTakenBy.get(x.id)).filter((s): s is number => s !== undefined && s < e.seq).map((s) => t(trace.bySeq.get(s)!));
        const first = arrivals.length ? Math.min(...arrivals) : at;
        nodeRow(nodeId).spans.push({ kind: 'join-wait', startMs: first, endMs: at, outcome: p.timedOut ? 'failed' : 'ok', seqs: [e.seq], note: `${Array.isArray(p.arrived) ? p.arrived.length : 0} of ${edges.length} inputs${p.timedOut ? ', timed out' : ''}` });
        break;
      }
      case 'node.completed':
      case 'fanout.started':
      case 'route.chosen':
        if (nodeId) nodeRow(nodeId).spans.push({ kind: 'instant', startMs: at, endMs: at, outcome: 'ok', seqs: [e.seq], note: e.type === 'route.chosen' ? `route ${String(p.routeId)}` : undefined });
        break;
      case 'context.patched':
        if (p.reason === 'setContext' && nodeId) nodeRow(nodeId).spans.push({ kind: 'instant', startMs: at, endMs: at, outcome: 'ok', seqs: [e.seq], note: `context v${e.envelopeVersion}` });
        break;
      case 'run.completed':
        if (nodeId) nodeRow(nodeId).spans.push({ kind: 'instant', startMs: at, endMs: at, outcome: 'ok', seqs: [e.seq] });
        endMs = at;
        closeAll(open, at);
        break;
      case 'run.failed':
      case 'run.cancelled':
        endMs = at;
        closeAll(open, at, e.type === 'run.failed' ? 'failed' : undefined);
        break;
      default:
        break;
    }
  }
  // Nodes in the order they first did something.
  const ordered = [...rows.values()].sort((a, b) => (a.spans[0]?.startMs ?? 0) - (b.spans[0]?.startMs ?? 0));
  return { startMs: startMs ?? 0, endMs, rows: ordered };
}

function close(open: Map<string, Span>, key: string, at: number, outcome: SpanOutcome, seq?: number) {
  const s = open.get(key);
  if (!s) return;
  s.endMs = at;
  if (s.outcome === 'open') s.outcome = outcome;
  if (seq !== undefined) s.seqs.push(seq);
  open.delete(key);
}

/** A run that ended ends whatever was still open (e.g. a cancelled run's pending approval). */
function closeAll(open: Map<string, Span>, at: number, outcome: SpanOutcome = 'failed') {
  for (const [k, s] of open) {
    s.endMs ??= at;
    if (s.outcome === 'open') s.outcome = s.kind === 'work' ? outcome : 'failed';
    open.delete(k);
  }
}
