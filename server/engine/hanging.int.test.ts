/**
 * No run is left hanging: every step the engine cannot take ends in a recorded task.failed / run.failed
 * with a readable reason, taking error edges and retries like any other failure. Each cause on its own:
 * an input the log refuses (a mapping doubles a large input past the payload limit), an output the log
 * refuses, a crashing adapter, an agent that is not registered, a mapping error, and a run naming a
 * workflow version that does not exist. Also: what a run's first commit records (basedOnSeq, causes).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_SOURCE, type SpineEvent } from '@/server/spine';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { openHarness, publishDocument, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

const LIMIT = 64 * 1024;
const big = (bytes: number) => 'x'.repeat(bytes);
const fast = { maxAttempts: 2, initialBackoffMs: 1, backoffMultiplier: 1, maxBackoffMs: 1, jitter: 0 };

/** start → work (agent) → done, and work's error edge → rescued when `errorEdge`. */
function oneAgent(agent: string, config: Record<string, unknown> = {}, errorEdge = false): WorkflowDocument {
  return {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
      { id: 'work', kind: 'agent', label: 'Work', position: { x: 1, y: 0 }, config: { agent, retry: fast, ...config } },
      { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success' } },
      ...(errorEdge ? [{ id: 'rescued', kind: 'end' as const, label: 'Rescued', position: { x: 2, y: 1 }, config: { outcome: 'success' as const } }] : []),
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'work' },
      { id: 'e2', source: 'work', target: 'done' },
      ...(errorEdge ? [{ id: 'e3', source: 'work', sourceHandle: 'error', target: 'rescued' }] : []),
    ],
  } as WorkflowDocument;
}

let server: http.Server;
let agentUrl: string;
let reply: (res: http.ServerResponse) => void = (res) => res.end('{}');

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => reply(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  agentUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent`;
  process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
});
afterAll(async () => {
  delete process.env.SPINE_OUTBOUND_ALLOW;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe(`no run left hanging (${testDbKind()})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const publish = (name: string, doc: WorkflowDocument) => publishDocument(h!, name, doc);
  const last = (events: SpineEvent[]) => events.at(-1)!;
  const failed = (events: SpineEvent[]) => events.find((e) => e.type === 'task.failed')?.payload as { error: string; errorKind: string; retryable: boolean } | undefined;

  it('an input the log refuses (150 KB doubled by a mapping, over the limit) fails the task readably; the run fails instead of staying running', async () => {
    h = await openHarness({ maxPayloadBytes: LIMIT });
    const id = await publish('Doubler', oneAgent('echo', { input: { a: 'input.doc', b: 'input.doc' } }));
    const { runId } = await h.service.startRun(id, { input: { doc: big(40_000) } }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(failed(events)).toMatchObject({ errorKind: 'input', retryable: false });
    expect(failed(events)!.error).toMatch(/input could not be recorded: payload is \d+ bytes; the limit is 65536/);
    const dispatched = events.find((e) => e.type === 'task.dispatched')!;
    expect(dispatched.payload).toMatchObject({ input: null, inputRefused: { code: 'event.payload_too_large' } });
    expect(events.find((e) => e.type === 'task.failed')!.causationId).toBe(dispatched.id);
    expect(last(events)).toMatchObject({ type: 'run.failed', payload: { nodeId: 'work' } });
    expect((await h.service.getRun(runId)).status).toBe('failed');
  });

  it('the same refusal takes the error edge when there is one', async () => {
    h = await openHarness({ maxPayloadBytes: LIMIT });
    const id = await publish('Doubler with rescue', oneAgent('echo', { input: { a: 'input.doc', b: 'input.doc' } }, true));
    const { runId } = await h.service.startRun(id, { input: { doc: big(40_000) } }, 'tom');
    expect(last(await waitForRun(h.spine, runId))).toMatchObject({ type: 'run.completed', payload: { endNodeId: 'rescued' } });
  });

  it('an output the log refuses fails the task for good, with the reason', async () => {
    h = await openHarness({ maxPayloadBytes: LIMIT });
    await h.service.agentStore.upsert({ name: 'big-mouth', kind: 'http', description: 'answers too much', config: { url: agentUrl } });
    h.service.agents.invalidate();
    reply = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: big(80_000) }));
    const id = await publish('Big mouth', oneAgent('big-mouth'));
    const { runId } = await h.service.startRun(id, { input: {} }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(failed(events)).toMatchObject({ errorKind: 'non_retryable', retryable: false });
    expect(failed(events)!.error).toContain('output could not be recorded');
    expect(events.filter((e) => e.type === 'task.dispatched')).toHaveLength(1);
    expect(last(events)).toMatchObject({ type: 'run.failed', payload: { nodeId: 'work' } });
  });

  it('a crashing adapter is retried by the node\'s policy, then fails the run with its error', async () => {
    h = await openHarness();
    await h.service.agentStore.upsert({ name: 'crashy', kind: 'http', description: 'always 500', config: { url: agentUrl } });
    h.service.agents.invalidate();
    reply = (res) => res.writeHead(500).end('boom');
    const id = await publish('Crashy', oneAgent('crashy'));
    const { runId } = await h.service.startRun(id, { input: {} }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(events.filter((e) => e.type === 'task.dispatched')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'task.failed').map((e) => (e.payload as { retryable: boolean }).retryable)).toEqual([true, true]);
    expect(last(events)).toMatchObject({ type: 'run.failed', payload: { nodeId: 'work' } });
  });

  it('an agent that is no longer registered fails the task at once (no retry can bring it back)', async () => {
    h = await openHarness();
    await h.service.agentStore.upsert({ name: 'ghost', kind: 'http', description: 'soon gone', config: { url: agentUrl } });
    h.service.agents.invalidate();
    const id = await publish('Ghost', oneAgent('ghost'));
    await h.db.agent.delete({ where: { name: 'ghost' } });
    h.service.agents.invalidate();
    const { runId } = await h.service.startRun(id, { input: {} }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(failed(events)).toMatchObject({ errorKind: 'non_retryable', retryable: false, error: "No agent 'ghost'" });
    expect(events.filter((e) => e.type === 'task.dispatched')).toHaveLength(1);
    expect(last(events)).toMatchObject({ type: 'run.failed' });
  });

  it('a mapping that cannot be evaluated fails the task readably', async () => {
    h = await openHarness();
    const id = await publish('Bad mapping', oneAgent('echo', { input: { x: 'input.missing.deep' } }));
    const { runId } = await h.service.startRun(id, { input: {} }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(failed(events)).toMatchObject({ errorKind: 'input' });
    expect(failed(events)!.error).toMatch(/^input mapping failed: /);
    // Found by this test: the inline agent used to run on the failed dispatch and complete the run.
    expect(events.filter((e) => e.type === 'task.completed')).toEqual([]);
    expect(last(events)).toMatchObject({ type: 'run.failed' });
  });

  it('a run naming a workflow version that cannot be loaded is failed, not left running', async () => {
    h = await openHarness();
    const runId = 'run-without-workflow';
    await h.spine.append([{ type: 'run.started', runId, source: ENGINE_SOURCE, payload: { workflowId: 'no-such-workflow', workflowSlug: 'none', version: 9, input: {}, startedBy: 'tom', trigger: { kind: 'api' } } }]);
    const events = await waitForRun(h.spine, runId);
    expect(last(events)).toMatchObject({ type: 'run.failed', payload: { code: 'workflow.unavailable' }, causationId: events[0]!.id });
  });

  it("a run's first commit records the real seq its dispatches were decided on, and each event's cause", async () => {
    h = await openHarness();
    const id = await publish('One step', oneAgent('echo'));
    const { runId } = await h.service.startRun(id, { input: { q: 1 } }, 'tom');
    const events = await waitForRun(h.spine, runId);
    const started = events[0]!;
    const dispatched = events.find((e) => e.type === 'task.dispatched')!;
    expect(dispatched.payload).toMatchObject({ basedOnSeq: started.seq });
    expect(started.seq).toBeGreaterThan(1);
    const byId = new Map(events.map((e) => [e.id, e]));
    for (const e of events.slice(1)) expect(byId.has(e.causationId ?? ''), `${e.type} names a cause in the run`).toBe(true);
    expect(byId.get(dispatched.causationId!)!.type).toBe('node.completed');
    expect(events.find((e) => e.type === 'task.completed')!.causationId).toBe(dispatched.id);
  });

  it('a queued run names the run it waits behind', async () => {
    h = await openHarness();
    const gate: WorkflowDocument = {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual', keyHold: 'run' } },
        { id: 'hold', kind: 'approval', label: 'Hold', position: { x: 1, y: 0 }, config: {} },
        { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success' } },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'hold' }, { id: 'e2', source: 'hold', sourceHandle: 'approved', target: 'done' }],
    } as WorkflowDocument;
    const id = await publish('Hold the key', gate);
    const first = await h.service.startRun(id, { input: {}, key: 'room:1' }, 'tom');
    await waitForEvent(h.spine, first.runId, (e) => e.type === 'approval.requested');
    const second = await h.service.startRun(id, { input: {}, key: 'room:1' }, 'tom');
    const queued = await waitForEvent(h.spine, second.runId, (e) => e.type === 'run.queued');
    expect(queued.payload).toEqual({ key: 'room:1', behind: first.runId });
  });
});
