/**
 * The planner of one step: pure. On a draft of the run's state it applies the step's seed decisions
 * (results, timers), then asks decide for what follows until nothing does, and returns every decision in
 * order, the draft left as if they had committed. It does no I/O and calls nothing of the shell: a dispatch
 * that a zero-latency builtin agent might answer at once is yielded as an `InlineRun` effect; whoever drives
 * the plan (runPlan) runs it and passes the result back, and its decisions join the same commit. See
 * README.md, "The actor".
 */
import { newEventId, type Envelope, type Json } from '@/server/spine';
import { dispatchedInput, type Decision, type RunEvent, type TaskDispatched } from './events';
import type { CompiledWorkflow } from './graph';
import { decisionSource } from './appends';
import { acceptResult, type TaskResult } from './primitives/handoff';
import { decide } from './run/decide';
import { applyEvent, type RunState } from './run/evolve';
import type { AgentVersionOf, DecideContext } from './run/decideContext';

const MAX_DECIDE_ROUNDS = 64;

/**
 * An effect of planning: `dispatch` may be answered at once by a builtin agent that runs inline. The driver
 * answers with the agent's result, or with undefined when the agent does not run inline (the dispatch is then
 * called after the commit like any other).
 */
/** A dispatch a builtin agent may answer at once, with the input it gives the agent (`dispatchedInput`). */
export type InlineRun = { kind: 'agent.inline'; runId: string; dispatch: Decision; input: Json; envelope: Envelope };

export type Plan = { decisions: Decision[]; more: boolean };
export type KeyView = { holdsKey: boolean; keyHolder?: string };

/** The envelope of a run as its state holds it (what a builtin agent sees, without the history). */
export function mirrorEnvelope(s: RunState): Envelope {
  return { runId: s.runId, intent: s.intent, constraints: s.constraints, deadline: s.deadline, state: s.state, version: s.envelopeVersion, history: { entries: [], omitted: 0 } };
}

/** The provisional event a decision stands for on a draft (a committed event, before the log has numbered it). */
export function draftEvent(wf: CompiledWorkflow, d: Decision & { id: string }, seq: number, now: number, envelopeVersion: number): RunEvent {
  return { type: d.type, id: d.id, payload: d.payload, seq, time: new Date(now).toISOString(), envelopeVersion, source: decisionSource(wf, d) } as RunEvent;
}

/**
 * The decide loop of one step, on `draft`: applies `seed`, then decides until nothing follows (or the step
 * is capped: `more`). Yields an InlineRun for every dispatch whose task is still open.
 */
export function* planDecisions(wf: CompiledWorkflow, draft: RunState, seed: Decision[], now: number, random: () => number, key: KeyView, agentVersion?: AgentVersionOf): Generator<InlineRun, Plan, TaskResult | undefined> {
  const decisions: Decision[] = [];
  const seen = new Set<string>();
  let fakeSeq = draft.lastSeq;
  // Dispatches record the committed state they were decided on (staleness is judged from it), not the
  // draft's provisional seqs.
  const ctx: DecideContext = { wf, state: draft, now, random, ...key, basis: { seq: draft.lastSeq, version: draft.envelopeVersion }, agentVersion };
  // Each decision gets its event id now: a decision it leads to in the same commit names it as its cause.
  const provisional = (d: Decision) => {
    d.id ??= newEventId();
    seen.add(d.idempotencyKey);
    decisions.push(d);
    const version = d.type === 'context.patched' ? draft.envelopeVersion + 1 : draft.envelopeVersion;
    applyEvent(wf, draft, draftEvent(wf, d as Decision & { id: string }, ++fakeSeq, now, version));
  };
  seed.forEach(provisional);
  for (let round = 0; round < MAX_DECIDE_ROUNDS; round++) {
    const next = decide(ctx).filter((d) => !seen.has(d.idempotencyKey));
    if (next.length === 0) return { decisions, more: false };
    next.forEach(provisional);
    // Only a dispatch whose task is still open runs: one decided together with its failure (an input
    // mapping that failed) must not also complete.
    for (const d of next) {
      if (d.type !== 'task.dispatched') continue;
      const p = d.payload as { nodeId: string; attempt: number };
      const ns = draft.nodes[p.nodeId];
      if (!ns || ns.status !== 'running' || ns.attempt !== p.attempt || ns.failure) continue;
      // A fork answers a node before its fork point from the origin's recorded output: no agent is called.
      const result = reusedResult(draft, p) ?? sideEffectResult(draft, d.payload as { nodeId: string; attempt: number; agent: string }) ?? (yield { kind: 'agent.inline', runId: draft.runId, dispatch: d, input: dispatchedInput(d.payload as TaskDispatched['payload'], draft.input), envelope: mirrorEnvelope(draft) });
      const node = result && wf.nodes.get(result.nodeId);
      if (result && node?.kind === 'agent') for (const r of outputCausedByResult(acceptResult(ctx, node, result))) if (!seen.has(r.idempotencyKey)) provisional(r);
    }
  }
  // The step is capped (a map over hundreds of zero-latency items): what is left is decided in a next step.
  return { decisions, more: true };
}

/** The origin's recorded result for a fork's first attempt at a node it reuses (run.started `fork.reuse`). */
function reusedResult(s: RunState, p: { nodeId: string; attempt: number }): TaskResult | undefined {
  const r = s.fork?.reuse[p.nodeId];
  if (!r || p.attempt !== 1) return undefined;
  return { ok: true, nodeId: p.nodeId, attempt: 1, output: r.output, envelopeVersion: s.envelopeVersion, durationMs: 0, ...(r.usage && { usage: r.usage }), reused: true };
}

/**
 * A fork never calls an agent with side effects it did not allow (run.started `fork.sideEffects`): the node is
 * answered from the origin's recorded output, or, when the origin has none for it, its task fails for good
 * (`side_effect_blocked`; error edges apply).
 */
function sideEffectResult(s: RunState, p: { nodeId: string; attempt: number; agent: string }): TaskResult | undefined {
  const se = s.fork?.sideEffects;
  if (!se?.agents.includes(p.agent)) return undefined;
  const held = se.held[p.nodeId];
  if (held) return { ok: true, nodeId: p.nodeId, attempt: p.attempt, output: held.output, envelopeVersion: s.envelopeVersion, durationMs: 0, ...(held.usage && { usage: held.usage }), reused: true, sideEffectHeld: true };
  return {
    ok: false, nodeId: p.nodeId, attempt: p.attempt, durationMs: 0, errorKind: 'non_retryable', retryable: false,
    error: `side_effect_blocked: agent '${p.agent}' has side effects and this fork does not allow them; the origin has no recorded output for '${p.nodeId}' to answer with`,
  };
}

/** Drives a plan to its end, answering each InlineRun with `run` (the shell's inline agent call). */
export function runPlan(plan: Generator<InlineRun, Plan, TaskResult | undefined>, run: (effect: InlineRun) => TaskResult | undefined): Plan {
  let step = plan.next();
  while (!step.done) step = plan.next(run(step.value));
  return step.value;
}

/** An agent's output written to the context follows from its result, not from the dispatch before it. */
export function outputCausedByResult(decisions: Decision[]): Decision[] {
  const completed = decisions.find((d) => d.type === 'task.completed');
  if (!completed) return decisions;
  completed.id ??= newEventId();
  for (const d of decisions) if (d.type === 'context.patched' && (d.payload as { reason?: string }).reason === 'output') d.causationId = completed.id;
  return decisions;
}
