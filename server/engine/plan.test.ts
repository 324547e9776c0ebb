/**
 * The planner is pure: planning a step that dispatches an agent yields the inline run as an effect and runs
 * nothing itself (there is no agent registry here to run it with); the decisions that follow the agent's
 * result are planned only once whoever drives the plan answers the effect.
 */
import { describe, expect, it } from 'vitest';
import { links, nodeCompleted, runStarted, stamp, fold, T0, workflow } from '@/server/testing/given';
import type { TaskResult } from './primitives/handoff';
import { planDecisions, runPlan, type InlineRun } from './plan';

const chain = workflow({
  nodes: [{ id: 'start', kind: 'trigger' }, { id: 'a', kind: 'agent', config: { agent: 'echo', outputKey: 'answer' } }, { id: 'done', kind: 'end', config: { outcome: 'success' } }],
  edges: links(['start', 'a'], ['a', 'done']),
});
const given = (...facts: Parameters<typeof stamp>[0]) => fold(chain, stamp(facts));
const plan = (state = given(runStarted({ input: { q: 1 } }))) => planDecisions(chain, state, [], T0, () => 0.5, { holdsKey: true });
/** The driver's answer for an agent that does not run inline, noting the effect it was asked about. */
const notInline = (asked: InlineRun[], fx: InlineRun): undefined => void asked.push(fx);
const answered = (fx: InlineRun): TaskResult => ({ ok: true, nodeId: (fx.dispatch.payload as { nodeId: string }).nodeId, attempt: 1, output: { answer: 42 }, envelopeVersion: fx.envelope.version, durationMs: 0 });

describe('plan: the pure planner of a step', () => {
  it('given the registry holds version 3 of the agent, when a dispatch is planned, then it records agentVersion 3 (and none when the version is not known)', () => {
    const versioned = planDecisions(chain, given(runStarted({ input: { q: 1 } })), [], T0, () => 0.5, { holdsKey: true }, (agent) => (agent === 'echo' ? 3 : undefined)).next().value as InlineRun;
    expect(versioned.dispatch.payload).toMatchObject({ agent: 'echo', agentVersion: 3 });
    const unknown = planDecisions(chain, given(runStarted({ input: { q: 1 } })), [], T0, () => 0.5, { holdsKey: true }, () => undefined).next().value as InlineRun;
    expect(unknown.dispatch.payload).not.toHaveProperty('agentVersion');
  });

  it('given a run whose next node is an agent, when planned, then the dispatch comes back as an effect and nothing ran', () => {
    const draft = given(runStarted({ input: { q: 1 } }));
    const step = plan(draft).next();
    expect(step.done).toBe(false);
    const fx = step.value as InlineRun;
    expect(fx).toMatchObject({ kind: 'agent.inline', runId: draft.runId, dispatch: { type: 'task.dispatched', payload: { nodeId: 'a', agent: 'echo', attempt: 1 } } });
    // The draft stands at the dispatch: the task is open, no result was taken in, the run goes on.
    expect(draft.nodes.a).toMatchObject({ status: 'running', attempt: 1 });
    expect(draft.status).toBe('running');
  });

  it('given the effect answered with a result, then the completion and everything after it join the same plan, in order', () => {
    const p = runPlan(plan(), answered);
    expect(p.more).toBe(false);
    expect(p.decisions.map((d) => d.type)).toEqual(['node.completed', 'task.dispatched', 'task.completed', 'context.patched', 'run.completed']);
    const completed = p.decisions.find((d) => d.type === 'task.completed')!;
    // The output written to the context follows from the result, not from the dispatch.
    expect(p.decisions.find((d) => d.type === 'context.patched')!.causationId).toBe(completed.id);
  });

  it('given the effect answered with undefined (the agent is not inline), then the plan ends at the dispatch', () => {
    const effects: InlineRun[] = [];
    const p = runPlan(plan(), (fx) => notInline(effects, fx));
    expect(effects).toHaveLength(1);
    expect(p.decisions.map((d) => d.type)).toEqual(['node.completed', 'task.dispatched']);
  });

  it('given a dispatch already decided in an earlier step, when planned again, then no effect is yielded', () => {
    const draft = given(runStarted(), nodeCompleted('start'));
    const seen: InlineRun[] = [];
    runPlan(planDecisions(chain, draft, [], T0, () => 0.5, { holdsKey: true }), (fx) => notInline(seen, fx));
    expect(seen.map((fx) => (fx.dispatch.payload as { nodeId: string }).nodeId)).toEqual(['a']);
    const again = runPlan(planDecisions(chain, draft, [], T0, () => 0.5, { holdsKey: true }), (fx) => notInline(seen, fx));
    expect(again.decisions).toEqual([]);
    expect(seen).toHaveLength(1);
  });
});
