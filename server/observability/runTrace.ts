/**
 * A run's causal structure, from its events. Pure: the same events and document always give the same trace.
 *
 * Recorded causes come first. The engine stamps `causationId` on every event it appends (the event that
 * moved the node last: the completion that took the edge into it, then its dispatch, result, approval,
 * timer), and a person's approval decision names the request it answers, so a link is read, not guessed:
 *
 *   event.causationId = id of an event of the run  → a recorded link (its relation named by the two types)
 *   run.started.causationId = an event outside     → the trigger (`external`), also by trigger.eventSeq
 *
 * A few more links are read from what the event itself records, not from the workflow graph:
 *
 *   join.satisfied            ← what brought each input it names in `arrived` (not only the last one)
 *   task.dispatched at v > 1  ← the context.patched that produced the envelope version it was stamped with
 *   task.stale                ← the context.patched that produced the `currentVersion` it names
 *
 * Events without `causationId` (histories recorded before the engine stamped it, or an engine event that
 * still carries none) get their links inferred from the run's structure instead, marked `inferred: true`:
 * the events are folded with the engine's own `applyEvent` in seq order, every edge an event turns `taken`
 * is remembered, and a node's activation (dispatch, approval request, route choice, join, end …) is caused
 * by the events that took the edges into it. The other inferred links follow the attempt and timer
 * bookkeeping:
 *
 *   task.completed / task.failed / task.stale ← task.dispatched of that attempt
 *   task.dispatched (attempt n > 1)           ← what asked for the re-run (task.retried → timer.fired,
 *                                               task.stale with policy rerun, run.reopened)
 *   approval.decided ← approval.requested; timer.fired ← timer.scheduled / task.retried
 *   run.key_acquired / run.queued ← run.started; run.failed ← the node's last event
 */
import type { Json, SpineEvent } from '@/server/spine';
import { isRunEvent, applyEvent, initialState, type CompiledWorkflow, type RunEvent } from '@/server/engine';

export const CAUSE_RELATIONS = ['causation', 'trigger', 'flow', 'attempt', 'retry', 'context', 'decision', 'timer', 'failure', 'queue'] as const;
export type CauseRelation = (typeof CAUSE_RELATIONS)[number];

/**
 * One direct cause (or effect) of an event. `relation` says how; `inferred` says whether the link was
 * reconstructed from the workflow graph (the event carries no causationId) rather than read from the log.
 */
export type CauseLink = { seq: number; relation: CauseRelation; inferred: boolean };

export type RunTrace = {
  runId: string;
  /** The run's events in seq order. */
  events: SpineEvent[];
  bySeq: Map<number, SpineEvent>;
  /** Direct causes of each event (inside the run), recorded ones first. */
  causes: Map<number, CauseLink[]>;
  /** Direct effects of each event (inside the run), in seq order: the inverse of `causes`. */
  effects: Map<number, CauseLink[]>;
  /** The event outside the run that started it, if any: by id (causationId) or by seq (trigger.eventSeq). */
  external: { id: string | null; seq: number | null } | null;
  /** Recorded causes that lie outside the run (seq of the event → causationId), run.started's trigger included. */
  outside: Map<number, string>;
  /** For each edge, the event that turned it taken. */
  edgeTakenBy: Map<string, number>;
  startSeq: number | null;
  /** How many links were read from the log and how many inferred from the graph. */
  counts: { recorded: number; inferred: number };
};

const obj = (p: Json): Record<string, Json> => (p !== null && typeof p === 'object' && !Array.isArray(p) ? p : {});
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

/** The node an engine event is about, if any. */
export function nodeOf(e: Pick<SpineEvent, 'type' | 'payload'>): string | undefined {
  const p = obj(e.payload);
  if (e.type === 'run.completed') return str(p.endNodeId);
  return str(p.nodeId);
}

/** How a recorded cause relates to its effect, named from the two event types. */
export function relationOf(effect: Pick<SpineEvent, 'type' | 'payload'>, cause: Pick<SpineEvent, 'type'>): CauseRelation {
  const p = obj(effect.payload);
  switch (effect.type) {
    case 'task.completed':
    case 'task.failed':
    case 'task.stale':
      return cause.type === 'task.dispatched' || cause.type === 'task.stale' ? 'attempt' : 'causation';
    case 'task.retried':
    case 'run.failed':
      return 'failure';
    case 'task.dispatched':
      if ((int(p.attempt) ?? 1) > 1) return 'retry';
      break;
    case 'timer.fired':
      return 'timer';
    case 'timer.scheduled':
      if (p.purpose !== 'delay' && p.purpose !== 'joinTimeout') return 'timer';
      break;
    case 'approval.decided':
      return 'decision';
    case 'run.queued':
    case 'run.key_acquired':
      return 'queue';
    case 'run.reopened':
      return 'retry';
    default:
      break;
  }
  if (cause.type === 'run.started' || cause.type === 'run.key_acquired') return 'trigger';
  if (cause.type === 'context.patched' && effect.type === 'task.dispatched') return 'context';
  return 'flow';
}

export function buildRunTrace(runId: string, events: readonly SpineEvent[], wf: CompiledWorkflow | null): RunTrace {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const bySeq = new Map(sorted.map((e) => [e.seq, e]));
  const byId = new Map(sorted.map((e) => [e.id, e.seq]));
  const causes = new Map<number, CauseLink[]>();
  const outside = new Map<number, string>();
  const edgeTakenBy = new Map<string, number>();
  const counts = { recorded: 0, inferred: 0 };
  const state = initialState(runId);

  let startSeq: number | null = null;
  let gateSeq: number | null = null;
  let external: RunTrace['external'] = null;
  let previousSeq: number | null = null;
  const dispatches = new Map<string, number>(); // `${node}#${attempt}` → seq
  const failures = new Map<string, number>();
  const lastNodeEvent = new Map<string, number>();
  const lastCompletion = new Map<string, number>();
  const rerunAsk = new Map<string, number>(); // node → the event that asked for the next attempt
  const timers = new Map<string, number>(); // timerId → scheduling event (timer.scheduled or task.retried)
  const approvals = new Map<string, number>();
  const patchByVersion = new Map<number, number>();
  let failedSeq: number | null = null;

  for (const e of sorted) {
    const links: CauseLink[] = [];
    const link = (seq: number | null | undefined, relation: CauseRelation, inferred: boolean) => {
      if (seq === null || seq === undefined || seq >= e.seq || links.some((l) => l.seq === seq)) return;
      links.push({ seq, relation, inferred });
      counts[inferred ? 'inferred' : 'recorded']++;
    };
    const recorded = e.causationId ? byId.get(e.causationId) : undefined;
    if (recorded !== undefined) link(recorded, relationOf(e, bySeq.get(recorded)!), false);
    else if (e.causationId) outside.set(e.seq, e.causationId);
    /** Read from the event's own fields: kept whether or not it names a cause. */
    const evidence = (seq: number | null | undefined, relation: CauseRelation) => link(seq, relation, false);
    /** Reconstructed from the graph: only for an event that names no cause. */
    const add = (seq: number | null | undefined, relation: CauseRelation) => {
      if (!e.causationId) link(seq, relation, true);
    };

    const p = obj(e.payload);
    const nodeId = nodeOf(e);
    const activation = (id: string | undefined) => {
      if (!id || !wf) return;
      for (const edge of wf.in.get(id) ?? []) if (state.edges[edge.id] === 'taken') add(edgeTakenBy.get(edge.id), 'flow');
      if ((wf.in.get(id) ?? []).length === 0) add(gateSeq ?? startSeq, 'trigger');
    };
    const key = (n: string | undefined, a: number | undefined) => `${n}#${a}`;

    switch (e.type) {
      case 'run.started': {
        startSeq = e.seq;
        const trigger = obj(p.trigger ?? null);
        const eventSeq = int(trigger.eventSeq);
        if (e.causationId && recorded === undefined) external = { id: e.causationId, seq: eventSeq ?? null };
        else if (eventSeq !== undefined) external = { id: null, seq: eventSeq };
        break;
      }
      case 'run.queued':
        add(startSeq, 'queue');
        gateSeq = e.seq;
        break;
      case 'run.key_acquired':
        add(gateSeq ?? startSeq, 'queue');
        gateSeq = e.seq;
        break;
      case 'join.satisfied': {
        // The join names every input that arrived; what brought each one in is in the log.
        const arrived = Array.isArray(p.arrived) ? p.arrived.filter((x): x is string => typeof x === 'string') : [];
        for (const source of arrived) {
          const edge = wf?.in.get(nodeId ?? '')?.find((x) => x.source === source);
          evidence((edge && edgeTakenBy.get(edge.id)) ?? lastNodeEvent.get(source), 'flow');
        }
        activation(nodeId);
        break;
      }
      case 'node.completed':
      case 'fanout.started':
      case 'route.chosen':
      case 'approval.requested':
      case 'run.completed':
        activation(nodeId);
        if (e.type === 'approval.requested' && str(p.approvalId)) approvals.set(str(p.approvalId)!, e.seq);
        break;
      case 'task.dispatched': {
        const attempt = int(p.attempt) ?? 1;
        if (attempt <= 1) activation(nodeId);
        else add(rerunAsk.get(nodeId ?? '') ?? dispatches.get(key(nodeId, attempt - 1)), 'retry');
        if (e.envelopeVersion !== null && e.envelopeVersion > 1) evidence(patchByVersion.get(e.envelopeVersion), 'context');
        dispatches.set(key(nodeId, attempt), e.seq);
        break;
      }
      case 'task.completed':
      case 'task.failed':
        add(dispatches.get(key(nodeId, int(p.attempt))), 'attempt');
        if (e.type === 'task.failed') {
          // A stale result under policy `fail` is reported as a failure right after the task.stale.
          if (p.errorKind === 'stale') add(rerunAsk.get(nodeId ?? ''), 'attempt');
          failures.set(key(nodeId, int(p.attempt)), e.seq);
        } else if (nodeId) lastCompletion.set(nodeId, e.seq);
        break;
      case 'task.stale':
        add(dispatches.get(key(nodeId, int(p.attempt))), 'attempt');
        evidence(patchByVersion.get(int(p.currentVersion) ?? -1), 'context');
        if (nodeId) rerunAsk.set(nodeId, e.seq);
        break;
      case 'task.retried':
        add(failures.get(key(nodeId, int(p.attempt))) ?? failedSeq, 'failure');
        if (str(p.timerId)) timers.set(str(p.timerId)!, e.seq);
        if (nodeId) rerunAsk.set(nodeId, e.seq);
        break;
      case 'timer.scheduled': {
        const purpose = str(p.purpose);
        if (purpose === 'delay') activation(nodeId);
        else if (purpose === 'approvalSla') add(nodeId ? lastNodeEvent.get(nodeId) : undefined, 'timer');
        else if (purpose === 'joinTimeout') activation(nodeId);
        else add(startSeq, 'timer');
        if (str(p.timerId)) timers.set(str(p.timerId)!, e.seq);
        break;
      }
      case 'timer.fired': {
        const timerId = str(p.timerId);
        const scheduled = timerId ? timers.get(timerId) : undefined;
        add(scheduled, 'timer');
        // A retry timer firing is what asks for the next attempt.
        const asked = scheduled !== undefined ? bySeq.get(scheduled) : undefined;
        if (asked?.type === 'task.retried') rerunAsk.set(nodeOf(asked) ?? '', e.seq);
        break;
      }
      case 'approval.decided':
        add(approvals.get(str(p.approvalId) ?? ''), 'decision');
        break;
      case 'context.patched':
        if (p.reason === 'setContext') activation(nodeId);
        else if (p.reason === 'output' && nodeId) add(lastCompletion.get(nodeId), 'flow');
        if (e.envelopeVersion !== null) patchByVersion.set(e.envelopeVersion, e.seq);
        break;
      case 'run.failed':
        add(nodeId ? lastNodeEvent.get(nodeId) : previousSeq, 'failure');
        failedSeq = e.seq;
        break;
      case 'run.reopened':
        add(failedSeq, 'retry');
        if (nodeId) rerunAsk.set(nodeId, e.seq);
        break;
      default:
        break;
    }
    // What was read from the log first, then what was inferred (a stable sort keeps each group's order).
    causes.set(e.seq, links.sort((x, y) => Number(x.inferred) - Number(y.inferred)));
    if (nodeId) lastNodeEvent.set(nodeId, e.seq);
    previousSeq = e.seq;

    // Let the engine's own fold say which edges this event took.
    if (wf && isRunEvent(e)) {
      const snapshot = { ...state.edges };
      applyEvent(wf, state, { ...(e as unknown as RunEvent), key: e.key });
      for (const [edgeId, status] of Object.entries(state.edges)) if (status === 'taken' && snapshot[edgeId] !== 'taken') edgeTakenBy.set(edgeId, e.seq);
    }
  }

  // Causes are filled in seq order, so every effect list comes out in seq order too.
  const effects = new Map<number, CauseLink[]>();
  for (const [seq, links] of causes)
    for (const l of links) {
      const list = effects.get(l.seq) ?? [];
      list.push({ seq, relation: l.relation, inferred: l.inferred });
      effects.set(l.seq, list);
    }
  return { runId, events: sorted, bySeq, causes, effects, external, outside, edgeTakenBy, startSeq, counts };
}

/** Every event the target depends on (itself included), found by walking causes back. */
export function ancestorsOf(trace: RunTrace, targetSeq: number): Set<number> {
  const seen = new Set<number>();
  const stack = [targetSeq];
  while (stack.length) {
    const seq = stack.pop()!;
    if (seen.has(seq) || !trace.bySeq.has(seq)) continue;
    seen.add(seq);
    for (const c of trace.causes.get(seq) ?? []) stack.push(c.seq);
  }
  return seen;
}
