/**
 * Replay: a run folded again from its log alone, every step re-decided with the recorded inputs, and each
 * decision compared with the event the engine recorded. Pure (no I/O, no clock): the log is the input.
 *
 * What the engine decided is checked; what came from outside is taken as given. The inputs are the run's
 * start, agent results (a `task.completed` or `task.failed` the agent's answer caused: the decisions it
 * leads to, a stale check, the output written to the context, are re-derived from it with `acceptResult`),
 * timers firing, people's commands (an approver's vote, a cancel, a context patch, a reopen, a manual
 * retry), and the two facts that belong to other runs or the registry: whether the run held its entity key
 * (`run.queued` / `run.key_acquired` say which) and the agent version a dispatch recorded; a stale result
 * (`task.stale`, and its `task.failed` under the `fail` policy) is given too, as the log keeps no output of
 * it. Every other event
 * must be one `decide` returns, from the state folded up to it, with the same idempotency key, type, payload
 * and cause.
 *
 * The clock and the retry jitter are the two inputs the log does not hold as such: fields computed from
 * them (`dueAt`, `escalatedAt`) are compared for presence, not value. A dispatch's basis (`basedOnSeq`,
 * `basedOnVersion`: where its step began) is taken from the event, and must lie within the fold so far.
 */
import { canonicalJson, type Json, type SpineEvent } from '@/server/spine';
import { dispatchedInput, isRunEvent, toRunEvent, type Decision, type RunEventType } from './events';
import type { CompiledWorkflow } from './graph';
import { acceptResult, type TaskResult } from './primitives/handoff';
import { decide } from './run/decide';
import type { DecideContext } from './run/decideContext';
import { applyEvent, initialState, type RunState } from './run/evolve';

export type ReplayMismatch = {
  /** The first recorded event replay does not reproduce. */
  seq: number;
  type: string;
  idempotencyKey: string | null;
  reason: string;
  recorded: Json;
  /** What replay decided under the same key (null: it decided nothing under it). */
  replayed: Json | null;
};

export type ReplayVerdict = {
  runId: string;
  /** True when every decision replays as recorded. */
  identical: boolean;
  /** Events re-decided and found equal. */
  decisions: number;
  /** Events taken as given (see the header). */
  inputs: number;
  /** The run's status after the fold. */
  status: RunState['status'];
  mismatch?: ReplayMismatch;
};

/** Commands people (or scripts) give, and facts about other runs: never decided by this run's decide. */
const INPUT_TYPES = new Set<RunEventType>(['run.started', 'timer.fired', 'approval.decided', 'run.cancelled', 'run.reopened', 'context.patched', 'task.retried']);
/** Fields computed from the clock or the jitter: compared for presence only. */
const CLOCK_FIELDS = new Set(['dueAt', 'escalatedAt']);
/** Fields a dispatch takes from where its step began (checked against the fold, not re-derived). */
const BASIS_FIELDS = new Set(['basedOnSeq', 'basedOnVersion']);
/** Facts of the registry at dispatch time (the agent version a task used): taken from the event as given. */
const GIVEN_FIELDS = new Set(['agentVersion']);

/** Replays `events` (the run's, in seq order; other events are skipped) against the workflow version it ran. */
export function replayRun(wf: CompiledWorkflow, events: readonly SpineEvent[]): ReplayVerdict {
  const runEvents = events.filter((e) => isRunEvent(e));
  const runId = runEvents[0]?.runId ?? '';
  const state = initialState(runId);
  /** Decisions made but not yet seen in the log (an agent result's consequences, a primitive's siblings), by idempotency key. */
  const following = new Map<string, Decision>();
  let decisions = 0;
  let inputs = 0;
  const verdict = (mismatch?: ReplayMismatch): ReplayVerdict => ({ runId, identical: !mismatch, decisions, inputs, status: state.status, ...(mismatch && { mismatch }) });

  for (const e of runEvents) {
    const key = e.idempotencyKey;
    const ctx = contextFor(wf, state, e);
    const result = agentResultOf(e);
    if (result && key && !following.has(key)) {
      const node = wf.nodes.get(result.nodeId);
      // The output written to the context follows from the result's event (as plan.ts records it).
      if (node?.kind === 'agent') for (const d of acceptResult(ctx, node, result)) following.set(d.idempotencyKey, d.type === 'context.patched' ? { ...d, causationId: e.id } : d);
      if (!following.has(key)) return verdict({ seq: e.seq, type: e.type, idempotencyKey: key, reason: 'the run would not accept this agent result here (late, superseded, or the run is over)', recorded: recordedOf(e), replayed: null });
    }
    // A command from outside is applied as given: nothing is decided before it (before `run.started` there
    // is no run to decide for; an approver's vote is not this run's decision).
    if (INPUT_TYPES.has(e.type as RunEventType) && !(key && following.has(key))) {
      inputs++;
      applyEvent(wf, state, toRunEvent(e));
      continue;
    }
    let decided = key ? following.get(key) : undefined;
    if (key && !decided) {
      // A primitive may decide several events at once (an approval and its SLA timer): the planner appends
      // them together, so the ones after this event are matched against this same decision.
      for (const d of decide(ctx)) if (!following.has(d.idempotencyKey)) following.set(d.idempotencyKey, d);
      decided = following.get(key);
    }
    if (decided) {
      following.delete(key!);
      const why = differs(decided, e, state);
      if (why) return verdict({ seq: e.seq, type: e.type, idempotencyKey: key, reason: why, recorded: recordedOf(e), replayed: { type: decided.type, payload: decided.payload, causationId: decided.causationId ?? null } });
      decisions++;
    } else if (isInput(e)) {
      inputs++;
    } else {
      return verdict({ seq: e.seq, type: e.type, idempotencyKey: key, reason: 'replay decides nothing under this key at this point of the run', recorded: recordedOf(e), replayed: null });
    }
    applyEvent(wf, state, toRunEvent(e));
  }
  return verdict();
}

function contextFor(wf: CompiledWorkflow, state: RunState, e: SpineEvent): DecideContext {
  const p = (e.payload ?? {}) as { behind?: unknown; basedOnSeq?: unknown; basedOnVersion?: unknown };
  const basis = typeof p.basedOnSeq === 'number' && typeof p.basedOnVersion === 'number' ? { seq: p.basedOnSeq, version: p.basedOnVersion } : undefined;
  return {
    wf, state, now: Date.parse(e.time), random: () => 0.5,
    // Key ownership belongs to the other runs on the key: the recorded event says which it was.
    holdsKey: e.type !== 'run.queued', ...(e.type === 'run.queued' && typeof p.behind === 'string' && { keyHolder: p.behind }),
    ...(basis && { basis }),
  };
}

/** An agent's answer as the dispatcher handed it to the run (a timeout counts: the dispatcher's clock decided it). */
function agentResultOf(e: SpineEvent): TaskResult | undefined {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const usage = typeof p.model === 'string' ? { inputTokens: Number(p.inputTokens ?? 0), outputTokens: Number(p.outputTokens ?? 0), model: p.model, ...(typeof p.cost === 'number' && { cost: p.cost }) } : undefined;
  const base = { nodeId: String(p.nodeId), attempt: Number(p.attempt), durationMs: Number(p.durationMs ?? 0), ...(usage && { usage }) };
  if (e.type === 'task.completed') return { ok: true, ...base, output: (p.output ?? null) as Json, envelopeVersion: Number(p.envelopeVersion ?? 0), ...(p.reused === true && { reused: true as const }), ...(p.sideEffectHeld === true && { sideEffectHeld: true as const }) };
  if (e.type === 'task.failed' && (p.errorKind === 'error' || p.errorKind === 'timeout' || p.errorKind === 'non_retryable')) {
    return { ok: false, ...base, error: String(p.error ?? ''), errorKind: p.errorKind, retryable: p.retryable === true, ...(typeof p.retryAfterMs === 'number' && { retryAfterMs: p.retryAfterMs }) };
  }
  return undefined;
}

function isInput(e: SpineEvent): boolean {
  if (INPUT_TYPES.has(e.type as RunEventType)) return true;
  // Key ownership (see contextFor) is given; so is a stale result, whose output the log does not keep.
  return e.type === 'run.queued' || e.type === 'run.key_acquired' || e.type === 'task.stale' || (e.type === 'task.failed' && (e.payload as { errorKind?: string })?.errorKind === 'stale');
}

/** Why the recorded event is not the decision replay made under its key, or null when it is. */
function differs(d: Decision, e: SpineEvent, state: RunState): string | null {
  if (d.type !== e.type) return `replay decides ${d.type}, the log has ${e.type}`;
  const recorded = withInput(e.type, (e.payload ?? {}) as Record<string, Json>, state);
  const replayed = withInput(d.type, (d.payload ?? {}) as Record<string, Json>, state);
  for (const field of new Set([...Object.keys(recorded), ...Object.keys(replayed)])) {
    const a = recorded[field];
    const b = replayed[field];
    if (CLOCK_FIELDS.has(field)) {
      if ((a === null || a === undefined) !== (b === null || b === undefined)) return `${field}: set on one side only`;
      continue;
    }
    if (GIVEN_FIELDS.has(field)) continue;
    if (BASIS_FIELDS.has(field)) {
      if (a === undefined) continue; // recorded by an engine that did not record the basis yet
      const limit = field === 'basedOnSeq' ? state.lastSeq : state.envelopeVersion;
      if (typeof a !== 'number' || a > limit) return `${field} ${String(a)} lies beyond the run's fold (${limit})`;
      continue;
    }
    if (canonicalJson(a ?? null) !== canonicalJson(b ?? null)) return `payload.${field} differs`;
  }
  if (e.causationId && d.causationId && e.causationId !== d.causationId) return `cause differs: the log names ${e.causationId}, replay ${d.causationId}`;
  return null;
}

/**
 * A dispatch with the input it gave its agent spelled out: one that refers to the run's input (`inputFrom`)
 * equals one recorded, by an engine of before, with a copy of it.
 */
function withInput(type: string, p: Record<string, Json>, state: RunState): Record<string, Json> {
  if (type !== 'task.dispatched' || p.inputFrom !== 'run') return p;
  const { inputFrom: _, ...rest } = p;
  return { ...rest, input: dispatchedInput(p, state.input as Json) };
}

function recordedOf(e: SpineEvent): Json {
  return { type: e.type, payload: e.payload, causationId: e.causationId ?? null } as Json;
}
