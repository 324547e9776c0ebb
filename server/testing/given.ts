/**
 * given / when / then for the engine's pure core (Emmett's DeciderSpecification, fitted to Spine):
 *
 *   const given = specFor(wf);
 *   given(runStarted(), taskDispatched('a'), taskCompleted('a'))
 *     .when(taskCompleted('b'))
 *     .then([joinSatisfied('join-1')]);
 *
 * `given` folds history facts with `applyEvent` (seqs, times and envelope versions assigned in order, as the
 * log would); `when` takes either one more fact (folded, then `decide` runs once) or an agent's result
 * (`agentReturned`, `agentFailed`: handed to `acceptResult`, as the planner does); `then` matches the
 * decisions in order, each against a partial `{ type, payload }`. Nothing here does I/O: the clock and the
 * randomness are fixed (`at`, `random`), so every test is reproducible.
 */
import { expect } from 'vitest';
import type { Json } from '@/server/spine';
import { WorkflowDocument, type WorkflowDocumentInput } from '@/server/workflows/schema';
import { validateWorkflow } from '@/server/workflows/validate';
import type { Decision, RunEvent, RunEventType } from '@/server/engine/events';
import { compileWorkflow, type CompiledWorkflow } from '@/server/engine/graph';
import { acceptResult, type TaskResult } from '@/server/engine/primitives/handoff';
import { decide } from '@/server/engine/run/decide';
import { applyEvent, initialState, type RunState } from '@/server/engine/run/evolve';
import { ENGINE_SOURCE } from '@/server/spine/events';

export const RUN_ID = 'run-1';
/** The clock every spec starts at; fact n is stamped T0 + n ms unless it says otherwise. */
export const T0 = Date.parse('2025-01-01T00:00:00.000Z');

// ---------------------------------------------------------------------------------------------------------
// Workflows
// ---------------------------------------------------------------------------------------------------------

/** Parses, validates (errors throw: specs only use publishable workflows) and compiles a document. */
export function workflow(doc: Omit<WorkflowDocumentInput, 'formatVersion'>, slug = 'spec'): CompiledWorkflow {
  const parsed = WorkflowDocument.parse({ formatVersion: 1, ...doc });
  const errors = validateWorkflow(parsed).filter((p) => p.severity === 'error');
  if (errors.length) throw new Error(`spec workflow is invalid: ${errors.map((p) => `${p.code} (${p.nodeId ?? p.edgeId ?? ''})`).join(', ')}`);
  return compileWorkflow({ workflowId: `wf-${slug}`, slug, version: 1 }, parsed);
}

type Link = [string, string] | [string, string, string];
/** Edges from `[source, target, handle?]` triples, ids derived from them. */
export function links(...ls: Link[]): WorkflowDocumentInput['edges'] {
  return ls.map(([source, target, sourceHandle]) => ({ id: `${source}-${sourceHandle ?? 'default'}-${target}`, source, target, ...(sourceHandle && { sourceHandle }) }));
}

// ---------------------------------------------------------------------------------------------------------
// Facts: run events without the fields the log assigns
// ---------------------------------------------------------------------------------------------------------

export type Fact = {
  type: RunEventType;
  payload: Record<string, Json>;
  source?: { kind: string; name: string };
  key?: string | null;
  /** Epoch ms; default T0 + seq. */
  at?: number;
};

const fact = (type: RunEventType, payload: Record<string, Json | undefined>, extra: Omit<Fact, 'type' | 'payload'> = {}): Fact => ({
  type,
  payload: Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined)) as Record<string, Json>,
  ...extra,
});

/** `trace`: the run's W3C trace context, as run.started records it. */
export const runStarted = (o: { input?: Json; deadline?: string; key?: string; startedBy?: string; state?: Record<string, Json>; intent?: string; trace?: { traceparent: string; tracestate?: string } } = {}) =>
  fact('run.started', { workflowId: 'wf-spec', workflowSlug: 'spec', version: 1, input: o.input ?? {}, startedBy: o.startedBy ?? 'olga', trigger: { kind: 'api' }, deadline: o.deadline, state: o.state ?? {}, intent: o.intent, trace: o.trace }, { key: o.key ?? null, source: { kind: 'user', name: o.startedBy ?? 'olga' } });
export const keyAcquired = (key: string) => fact('run.key_acquired', { key });
export const runQueued = (key: string) => fact('run.queued', { key, behind: '' });
export const nodeCompleted = (nodeId: string, handle?: string) => fact('node.completed', { nodeId, handle });
export const fanOutStarted = (nodeId: string, branches: string[] = []) => fact('fanout.started', { nodeId, branches });
/** `basedOnSeq`: the last event the dispatch decision saw (default: everything before it). */
export const taskDispatched = (nodeId: string, attempt = 1, input: Json = {}, o: { basedOnSeq?: number; basedOnVersion?: number } = {}) =>
  fact('task.dispatched', { nodeId, attempt, agent: nodeId, input, idempotencyKey: `${RUN_ID}:${nodeId}:${attempt}`, timeoutMs: 30_000, basedOnSeq: o.basedOnSeq, basedOnVersion: o.basedOnVersion });
export const taskCompleted = (nodeId: string, output: Json = { by: nodeId }, o: { attempt?: number; envelopeVersion?: number } = {}) =>
  fact('task.completed', { nodeId, attempt: o.attempt ?? 1, output, envelopeVersion: o.envelopeVersion ?? 1, durationMs: 5 }, { source: { kind: 'agent', name: nodeId } });
export const taskFailed = (nodeId: string, error = 'boom', o: { attempt?: number; retryable?: boolean; errorKind?: 'error' | 'timeout' | 'non_retryable' | 'stale' | 'input'; retryAfterMs?: number } = {}) =>
  fact('task.failed', { nodeId, attempt: o.attempt ?? 1, error, errorKind: o.errorKind ?? 'error', retryable: o.retryable ?? true, durationMs: 5, retryAfterMs: o.retryAfterMs }, { source: { kind: 'agent', name: nodeId } });
export const taskRetried = (nodeId: string, attempt: number, dueAt: string) => fact('task.retried', { nodeId, attempt, nextAttempt: attempt + 1, dueAt, timerId: `retry:${nodeId}:${attempt}` });
export const taskStale = (nodeId: string, policy?: 'rerun' | 'accept' | 'fail', attempt = 1) => fact('task.stale', { nodeId, attempt, policy });
export const joinSatisfied = (nodeId: string, arrived?: string[]) => fact('join.satisfied', { nodeId, arrived, mode: undefined, timedOut: undefined });
export const routeChosen = (nodeId: string, routeId: string) => fact('route.chosen', { nodeId, routeId });
export const approvalRequested = (nodeId: string, o: { requiredApprovals?: number; dueAt?: string | null; role?: string } = {}) =>
  fact('approval.requested', { nodeId, approvalId: `${RUN_ID}:${nodeId}`, role: o.role ?? 'approver', instructions: null, dueAt: o.dueAt ?? null, requiredApprovals: o.requiredApprovals ?? 1, allowRequester: false, onLapse: 'fail' });
export const approvalDecided = (nodeId: string, actor: string, decision: 'approve' | 'reject', n: number, o: { auto?: boolean } = {}) =>
  fact('approval.decided', { nodeId, approvalId: `${RUN_ID}:${nodeId}`, decision, actor, n, auto: o.auto }, { source: { kind: 'user', name: actor } });
export const timerScheduled = (timerId: string, purpose: 'delay' | 'joinTimeout' | 'approvalSla' | 'deadline', dueAt: string, nodeId: string | null = null) =>
  fact('timer.scheduled', { timerId, nodeId, dueAt, purpose });
export const timerFired = (timerId: string) => fact('timer.fired', { timerId });
/** A change of the shared state. `by` a person (the default) makes running agents' results stale. */
export const contextPatched = (patch: Record<string, Json>, o: { by?: string; nodeId?: string; reason?: string } = {}) =>
  fact('context.patched', { patch, nodeId: o.nodeId, reason: o.reason }, { source: o.by === 'engine' ? ENGINE_SOURCE : { kind: 'user', name: o.by ?? 'customer' } });
export const runCompleted = (endNodeId: string, output: Json = {}) => fact('run.completed', { output, endNodeId });
export const runFailed = (code?: string, nodeId?: string) => fact('run.failed', { code, nodeId, reason: undefined });
export const runCancelled = (actor = 'olga') => fact('run.cancelled', { reason: 'cancelled by user', actor }, { source: { kind: 'user', name: actor } });
export const runReopened = (nodeId: string, actor = 'olga') => fact('run.reopened', { nodeId, actor }, { source: { kind: 'user', name: actor } });

// ---------------------------------------------------------------------------------------------------------
// Folding
// ---------------------------------------------------------------------------------------------------------

/** Stamps facts as the log would: consecutive seqs, times, and the envelope version (bumped by each patch). */
export function stamp(facts: Fact[], from: { seq: number; version: number } = { seq: 0, version: 0 }): (RunEvent & { key: string | null })[] {
  let { seq, version } = from;
  return facts.map((f) => {
    seq++;
    if (f.type === 'run.started') version = 1;
    else if (f.type === 'context.patched') version++;
    return {
      type: f.type, payload: f.payload, seq, id: `ev-${seq}`, time: new Date(f.at ?? T0 + seq).toISOString(), envelopeVersion: version || null,
      source: f.source ?? ENGINE_SOURCE, key: f.key ?? null,
    } as RunEvent & { key: string | null };
  });
}

/** The state a history folds to. */
export function fold(wf: CompiledWorkflow, events: (RunEvent & { key?: string | null })[], runId = RUN_ID): RunState {
  const s = initialState(runId);
  for (const e of events) applyEvent(wf, s, e);
  return s;
}

export type DecideOptions = { now?: number; random?: () => number; holdsKey?: boolean };

/** A decision as the log would store it, so it can be folded like any fact. */
export function asFact(d: Decision): Fact {
  const nodeId = (d.payload as { nodeId?: string }).nodeId;
  const byAgent = d.type === 'task.completed' || d.type === 'task.failed';
  return { type: d.type, payload: d.payload as Record<string, Json>, source: byAgent ? { kind: 'agent', name: nodeId ?? 'agent' } : ENGINE_SOURCE, ...(d.key && { key: d.key }) };
}

/**
 * Runs decide to a fixed point the way the planner (plan.ts) does (decide, fold the decisions, decide again until
 * nothing new). Agents are not called: dispatched tasks simply stay running.
 */
export function settle(wf: CompiledWorkflow, facts: Fact[], o: DecideOptions = {}): { decisions: Decision[]; state: RunState; facts: Fact[] } {
  const all = [...facts];
  const decisions: Decision[] = [];
  const seen = new Set<string>();
  for (let round = 0; round < 64; round++) {
    const state = fold(wf, stamp(all));
    const next = decide(context(wf, state, o)).filter((d) => !seen.has(d.idempotencyKey));
    if (next.length === 0) return { decisions, state, facts: all };
    for (const d of next) {
      seen.add(d.idempotencyKey);
      decisions.push(d);
      all.push(asFact(d));
    }
  }
  throw new Error('settle: decide did not reach a fixed point in 64 rounds');
}

function context(wf: CompiledWorkflow, state: RunState, o: DecideOptions) {
  return { wf, state, now: o.now ?? T0 + 1_000, random: o.random ?? (() => 0.5), holdsKey: o.holdsKey ?? true };
}

// ---------------------------------------------------------------------------------------------------------
// given / when / then
// ---------------------------------------------------------------------------------------------------------

/** What the agent came back with: handed to `acceptResult` like the planner (plan.ts) does. */
export type AgentOutcome = { kind: 'agentResult'; result: TaskResult };

export const agentReturned = (nodeId: string, output: Json, o: { attempt?: number; envelopeVersion?: number } = {}): AgentOutcome => ({
  kind: 'agentResult',
  result: { ok: true, nodeId, attempt: o.attempt ?? 1, output, envelopeVersion: o.envelopeVersion ?? 1, durationMs: 5 },
});
export const agentFailed = (nodeId: string, error = 'boom', o: { attempt?: number; retryable?: boolean; retryAfterMs?: number } = {}): AgentOutcome => ({
  kind: 'agentResult',
  result: { ok: false, nodeId, attempt: o.attempt ?? 1, error, errorKind: o.retryable === false ? 'non_retryable' : 'error', retryable: o.retryable ?? true, durationMs: 5, ...(o.retryAfterMs !== undefined && { retryAfterMs: o.retryAfterMs }) },
});

/** Just decide on the given history (a wake-up with nothing new: after a restart, or a clock tick). */
export const nothingNew = { kind: 'nothingNew' } as const;

export type Expected = { type: RunEventType; payload?: Record<string, unknown> };

export type Outcome = {
  decisions: Decision[];
  /** The state the decisions were made on. */
  state: RunState;
  /** Asserts the decisions, in order, each matching a partial `{ type, payload }`. */
  then(expected: Expected[]): Outcome;
  /** Asserts that nothing is decided. */
  thenNothing(): Outcome;
};

export type Spec = (...history: Fact[]) => { state: RunState; when(input: Fact | AgentOutcome | typeof nothingNew, o?: DecideOptions): Outcome };

/** given/when/then over one compiled workflow. */
export function specFor(wf: CompiledWorkflow, defaults: DecideOptions = {}): Spec {
  return (...history) => {
    const events = stamp(history);
    const state = fold(wf, events);
    return {
      state,
      when(input, o = {}) {
        const opts = { ...defaults, ...o };
        let decisions: Decision[];
        let at: RunState;
        if ('kind' in input && input.kind === 'agentResult') {
          at = state;
          const node = wf.nodes.get(input.result.nodeId);
          if (node?.kind !== 'agent') throw new Error(`${input.result.nodeId} is not an agent node`);
          decisions = acceptResult(context(wf, at, opts), node, input.result);
        } else if ('kind' in input) {
          at = state;
          decisions = decide(context(wf, at, opts));
        } else {
          at = fold(wf, [...events, ...stamp([input], { seq: events.length, version: state.envelopeVersion })]);
          decisions = decide(context(wf, at, opts));
        }
        const outcome: Outcome = {
          decisions,
          state: at,
          then(expected) {
            expect(decisions.map((d) => ({ type: d.type, payload: d.payload }))).toMatchObject(expected.map((e) => ({ type: e.type, payload: e.payload ?? {} })));
            return outcome;
          },
          thenNothing() {
            expect(decisions.map((d) => d.type)).toEqual([]);
            return outcome;
          },
        };
        return outcome;
      },
    };
  };
}
