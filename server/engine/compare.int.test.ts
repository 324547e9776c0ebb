/**
 * Comparing runs (issue 14 §3) recorded by a real engine and database, with HTTP agents on loopback that
 * count their calls: a run and its unchanged fork agree node for node (no divergence, no agent called);
 * a fork with a changed input diverges at the first agent whose output the input changed, and the route
 * and the nodes after it follow; a fork whose live agent answers differently diverges at that agent, with
 * the nodes before it equal and reused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { serveHttpAgents, type HttpAgents } from '@/server/testing/httpAgents';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';

let agents: HttpAgents;
let calls: string[] = [];
/** What the writer appends to its text: changing it makes the live writer answer differently. */
let writerStyle = '';
let h: Harness;
let wf = '';

/** `scorer` answers { score: n * 10 } with tokens; `writer` answers { text: 'score <score><style>' }. */
beforeAll(async () => {
  agents = await serveHttpAgents((path, task) => ({ body: path === '/scorer' ? { score: (task.input.n ?? 0) * 10 } : { text: `score ${String(task.input.score)}${writerStyle}` } }));
  ({ calls } = agents);
  const url = agents.url;
  h = await openHarness({ seed: false });
  await h.service.agentStore.upsert({ name: 'scorer', kind: 'http', config: { url: `${url}/scorer` } });
  await h.service.agentStore.upsert({ name: 'writer', kind: 'http', config: { url: `${url}/writer` } });
  const at = (x: number, y = 0) => ({ x: x * 200, y: y * 120 });
  const doc: WorkflowDocumentInput = {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', label: 'Start', position: at(0), config: { mode: 'manual' } },
      { id: 'score', kind: 'agent', label: 'Score', position: at(1), config: { agent: 'scorer', input: { n: 'input.n' } } },
      { id: 'check', kind: 'router', label: 'High enough?', position: at(2), config: { routes: [{ id: 'high', condition: 'results.score.score >= 50' }] } },
      { id: 'write', kind: 'agent', label: 'Write it up', position: at(3), config: { agent: 'writer', input: { score: 'results.score.score' } } },
      { id: 'done', kind: 'end', label: 'Written', position: at(4), config: { output: { text: 'results.write.text' } } },
      { id: 'low', kind: 'end', label: 'Too low', position: at(3, 1), config: { outcome: 'success' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'score' },
      { id: 'e2', source: 'score', target: 'check' },
      { id: 'e3', source: 'check', sourceHandle: 'high', target: 'write' },
      { id: 'e4', source: 'check', sourceHandle: 'default', target: 'low' },
      { id: 'e5', source: 'write', target: 'done' },
    ],
  };
  wf = (await h.service.workflows.create({ name: 'Score, route and write', document: doc as never })).id;
  await h.service.publishWorkflow(wf);
});
afterAll(async () => {
  await h?.close();
  await agents?.close();
});

const row = (c: Awaited<ReturnType<Harness['service']['compareRuns']>>, nodeId: string) => c.rows.find((r) => r.nodeId === nodeId)!;

describe(`comparing runs (${testDbKind()})`, () => {
  it('a run and its fork at the end: the same path, outputs and route, every agent reused, no divergence, no agent called', async () => {
    writerStyle = '';
    const origin = await h.service.startRun(wf, { input: { n: 7 } }, 'tom');
    const events = await waitForRun(h.spine, origin.runId);
    calls.length = 0;
    const fork = await h.service.forkRun(origin.runId, { atSeq: events.at(-1)!.seq }, 'ann');
    await waitForRun(h.spine, fork.runId);
    expect(calls).toEqual([]);

    const c = await h.service.compareRuns(origin.runId, fork.runId);
    expect(c.divergence).toBeNull();
    expect(c.a).toMatchObject({ runId: origin.runId, workflowName: 'Score, route and write', status: 'completed', path: ['start', 'score', 'check', 'write', 'done'], fork: null, tokens: { agentCalls: 2, reused: 0 } });
    expect(c.b).toMatchObject({ runId: fork.runId, status: 'completed', path: c.a.path, fork: { from: origin.runId }, tokens: { agentCalls: 0, reused: 2 } });
    expect(c.rows.map((r) => [r.label, r.differences])).toEqual([['Start', []], ['Score', []], ['High enough?', []], ['Write it up', []], ['Written', []]]);
    expect(row(c, 'check').a.decision).toEqual({ kind: 'route', routeId: 'high', target: 'write' });
    expect(row(c, 'score')).toMatchObject({ a: { output: { score: 70 }, reused: false }, b: { output: { score: 70 }, reused: true } });
    expect(row(c, 'done').b.output).toEqual({ text: 'score 70' });
    expect(c.a.durationMs).toBeGreaterThanOrEqual(0);
    expect(row(c, 'write').a.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('a fork with a changed input diverges at the agent the input changed; the route and the nodes after it follow', async () => {
    writerStyle = '';
    const origin = await h.service.startRun(wf, { input: { n: 7 } }, 'tom');
    const events = await waitForRun(h.spine, origin.runId);
    // Forked at the start: nothing reused, the scorer answers the new input.
    const fork = await h.service.forkRun(origin.runId, { atSeq: events[0]!.seq, input: { n: 2 } }, 'ann');
    await waitForRun(h.spine, fork.runId);

    const c = await h.service.compareRuns(origin.runId, fork.runId);
    expect(c.inputDiff).toEqual([{ path: 'n', kind: 'changed', before: 7, after: 2 }]);
    expect(c.divergence).toEqual({ nodeId: 'score', label: 'Score', differences: ['output'] });
    expect(row(c, 'start').differences).toEqual([]);
    expect(row(c, 'score')).toMatchObject({ divergence: true, outputDiff: [{ path: 'score', kind: 'changed', before: 70, after: 20 }], a: { input: { n: 7 } }, b: { input: { n: 2 } } });
    expect(row(c, 'check')).toMatchObject({ differences: ['decision'], divergence: false, b: { decision: { kind: 'route', routeId: 'default', target: 'low' } } });
    expect(row(c, 'write')).toMatchObject({ differences: ['ran'], b: { status: 'not_reached' } });
    expect(row(c, 'low')).toMatchObject({ differences: ['ran'], a: { status: 'not_reached' }, b: { status: 'completed' } });
    expect(c.b.path).toEqual(['start', 'score', 'check', 'low']);
    // b's own node sits where b ran it: after the router, before a's later nodes.
    expect(c.rows.map((r) => r.nodeId)).toEqual(['start', 'score', 'check', 'low', 'write', 'done']);
  });

  it('a fork whose live agent answers differently diverges at that agent; the nodes before it are reused and equal', async () => {
    writerStyle = '';
    const origin = await h.service.startRun(wf, { input: { n: 9 } }, 'tom');
    const events = await waitForRun(h.spine, origin.runId);
    writerStyle = ' (new writer)';
    calls.length = 0;
    const fork = await h.service.forkRun(origin.runId, { atSeq: events.at(-1)!.seq, liveAgents: ['writer'] }, 'ann');
    await waitForRun(h.spine, fork.runId);
    expect(calls).toEqual(['/writer']);

    const c = await h.service.compareRuns(origin.runId, fork.runId);
    expect(c.divergence).toEqual({ nodeId: 'write', label: 'Write it up', differences: ['output'] });
    expect(row(c, 'score')).toMatchObject({ differences: [], b: { reused: true } });
    expect(row(c, 'check').differences).toEqual([]);
    expect(row(c, 'write')).toMatchObject({ divergence: true, b: { reused: false }, outputDiff: [{ path: 'text', kind: 'changed', before: 'score 90', after: 'score 90 (new writer)' }] });
    expect(row(c, 'done').differences).toEqual(['output']);
    expect(c.outputDiff).toEqual([{ path: 'text', kind: 'changed', before: 'score 90', after: 'score 90 (new writer)' }]);
    expect(c.b.tokens).toMatchObject({ agentCalls: 1, reused: 1 });
    await expect(h.service.compareRuns(origin.runId, 'no-such-run')).rejects.toMatchObject({ code: 'run.not_found', httpStatus: 404 });
  });
});
