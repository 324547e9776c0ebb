/**
 * Forking a run (issue 14 §3) on a real engine and database: a fork takes the origin's recorded agent
 * outputs before its fork point as given (no agent is called for them: the agent server counts calls),
 * runs live from there, reaches the origin's outcome when nothing changed, calls again only the agents
 * named live, is linked both ways (run.started `fork`, run.forked on the origin), and replays identically.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { serveHttpAgents, type HttpAgents } from '@/server/testing/httpAgents';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';

let agents: HttpAgents;
let calls: string[] = [];
let h: Harness;
let wf = '';

/** The agents: `scorer` answers { score: n * 10 }, `writer` answers { text: 'score <score>' }; each call counted by path. */
beforeAll(async () => {
  agents = await serveHttpAgents((path, task) => ({ body: path === '/scorer' ? { score: (task.input.n ?? 0) * 10 } : { text: `score ${String(task.input.score)}` } }));
  ({ calls } = agents);
  const url = agents.url;
  h = await openHarness({ seed: false });
  await h.service.agentStore.upsert({ name: 'scorer', kind: 'http', config: { url: `${url}/scorer` } });
  await h.service.agentStore.upsert({ name: 'writer', kind: 'http', config: { url: `${url}/writer` } });
  const at = (x: number) => ({ x: x * 200, y: 0 });
  const doc: WorkflowDocumentInput = {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', position: at(0), config: { mode: 'manual' } },
      { id: 'score', kind: 'agent', position: at(1), config: { agent: 'scorer', input: { n: 'input.n' } } },
      { id: 'write', kind: 'agent', position: at(2), config: { agent: 'writer', input: { score: 'results.score.score' } } },
      { id: 'done', kind: 'end', position: at(3), config: { output: { text: 'results.write.text' } } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'score' },
      { id: 'e2', source: 'score', target: 'write' },
      { id: 'e3', source: 'write', target: 'done' },
    ],
  };
  wf = (await h.service.workflows.create({ name: 'Score and write', document: doc as never })).id;
  await h.service.publishWorkflow(wf);
});
afterAll(async () => {
  await h?.close();
  await agents?.close();
});

const outputOf = (events: SpineEvent[]) => (events.at(-1)!.payload as { output: unknown }).output;
const dispatchOf = (events: SpineEvent[], nodeId: string) => events.find((e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === nodeId)!;

describe(`fork (${testDbKind()})`, () => {
  it('a fork after the last step reproduces the outcome without one agent call; at a step, only the steps from there run', async () => {
    const origin = await h.service.startRun(wf, { input: { n: 4 } }, 'tom');
    const events = await waitForRun(h.spine, origin.runId);
    expect(outputOf(events)).toEqual({ text: 'score 40' });
    expect(calls).toEqual(['/scorer', '/writer']);

    calls.length = 0;
    const whole = await h.service.forkRun(origin.runId, { atSeq: events.at(-1)!.seq }, 'ann');
    expect(whole.reused.sort()).toEqual(['score', 'write']);
    const wholeEvents = await waitForRun(h.spine, whole.runId);
    expect(wholeEvents.at(-1)!.type).toBe('run.completed');
    expect(outputOf(wholeEvents)).toEqual(outputOf(events));
    expect(calls).toEqual([]);
    expect(wholeEvents.filter((e) => e.type === 'task.completed').every((e) => (e.payload as { reused?: boolean }).reused === true)).toBe(true);

    // Forked at the writer's dispatch: the scorer's answer is reused, the writer is called.
    const atWrite = await h.service.forkRun(origin.runId, { atSeq: dispatchOf(events, 'write').seq }, 'ann');
    expect(atWrite.reused).toEqual(['score']);
    expect(outputOf(await waitForRun(h.spine, atWrite.runId))).toEqual({ text: 'score 40' });
    expect(calls).toEqual(['/writer']);

    // Linked both ways, and the fork replays from its own log; so does the origin after run.forked.
    const started = (await h.service.runEvents(atWrite.runId))[0]!;
    expect(started).toMatchObject({ type: 'run.started', payload: { trigger: { kind: 'fork' }, fork: { from: origin.runId, atSeq: dispatchOf(events, 'write').seq } } });
    const forked = (await h.service.runEvents(origin.runId)).filter((e) => e.type === 'run.forked');
    expect(forked.map((e) => (e.payload as { fork: string }).fork)).toEqual([whole.runId, atWrite.runId]);
    for (const id of [origin.runId, whole.runId, atWrite.runId]) expect((await h.service.replayRun(id)).mismatch).toBeUndefined();
  });

  it('a live agent is called again; a changed input flows into the live steps; bad fork points are refused and start nothing', async () => {
    const origin = await h.service.startRun(wf, { input: { n: 2 } }, 'tom');
    const events = await waitForRun(h.spine, origin.runId);
    calls.length = 0;
    const live = await h.service.forkRun(origin.runId, { atSeq: events.at(-1)!.seq, liveAgents: ['scorer'], input: { n: 7 } }, 'ann');
    expect(live.reused).toEqual(['write']);
    // The scorer answers the new input; the writer's recorded answer is reused as given (fork semantics: before the fork point).
    expect(outputOf(await waitForRun(h.spine, live.runId))).toEqual({ text: 'score 20' });
    expect(calls).toEqual(['/scorer']);

    const runsBefore = (await h.spine.read({ after: 0, limit: 10_000, filter: { types: ['run.started'] } })).length;
    await expect(h.service.forkRun(origin.runId, { atSeq: 999_999 }, 'ann')).rejects.toMatchObject({ code: 'run.fork_point_unknown', httpStatus: 400 });
    await expect(h.service.forkRun(origin.runId, { atSeq: 0 }, 'ann')).rejects.toMatchObject({ code: 'run.invalid_fork' });
    await expect(h.service.forkRun('no-such-run', { atSeq: 1 }, 'ann')).rejects.toMatchObject({ code: 'run.not_found' });
    expect((await h.spine.read({ after: 0, limit: 10_000, filter: { types: ['run.started'] } })).length).toBe(runsBefore);
  });
});
