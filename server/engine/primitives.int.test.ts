/**
 * The primitives the designer offers, on a real engine and database: a map fan-out over 0, 1 and 500
 * items calling a real HTTP agent on loopback (which counts the calls in flight), a failing item under
 * `all` and `quorum` joins, a static 2-of-3 quorum with failing branches, the four-eyes gate of the
 * procurement template, and an approval whose SLA lapses and escalates to another role.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Json, SpineEvent } from '@/server/spine';
import { openHarness, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';

/** The agent: doubles `n`; answers 503 for an item with `fail: true`; holds each call a few ms. */
let server: http.Server;
let url = '';
let inFlight = 0;
let maxInFlight = 0;
const keys: string[] = [];
beforeAll(async () => {
  process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      keys.push(String(req.headers['idempotency-key']));
      const task = JSON.parse(body) as { input: { n: number; fail: boolean; index: number } };
      setTimeout(() => {
        inFlight--;
        if (task.input.fail) res.writeHead(503).end('cannot');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ doubled: task.input.n * 2, index: task.input.index }));
      }, 2 + (task.input.n % 5));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent`;
});
afterAll(async () => {
  delete process.env.SPINE_OUTBOUND_ALLOW;
  await new Promise((r) => server.close(r));
});

const FAST = { maxAttempts: 2, initialBackoffMs: 5, backoffMultiplier: 1, maxBackoffMs: 5, jitter: 0 };
const at = (x: number) => ({ x: x * 200, y: 0 });

/** start → each (map over input.items) → work (HTTP agent) → collect (join) → done */
function mapDocument(concurrency: number, join: Record<string, unknown>): WorkflowDocumentInput {
  return {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', position: at(0), config: { mode: 'manual' } },
      { id: 'each', kind: 'fanOut', position: at(1), config: { mode: 'map', items: 'input.items', concurrency } },
      { id: 'work', kind: 'agent', position: at(2), config: { agent: 'doubler', input: { n: 'item.n', fail: 'item.fail', index: 'index' }, retry: FAST } },
      { id: 'collect', kind: 'join', position: at(3), config: join },
      { id: 'done', kind: 'end', position: at(4), config: { output: { all: 'results.collect' } } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'each' },
      { id: 'e2', source: 'each', target: 'work' },
      { id: 'e3', source: 'work', target: 'collect' },
      { id: 'e4', source: 'collect', target: 'done' },
    ],
  };
}

const items = (n: number, failAt = -1) => Array.from({ length: n }, (_, i) => ({ n: i, fail: i === failAt }));
const nodeOf = (e: SpineEvent) => (e.payload as { nodeId?: string }).nodeId;

describe(`primitives on a real engine (${testDbKind()})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function publish(name: string, document: WorkflowDocumentInput): Promise<string> {
    await h!.service.agentStore.upsert({ name: 'doubler', kind: 'http', config: { url } });
    const w = await h!.service.workflows.create({ name, document });
    await h!.service.publishWorkflow(w.id);
    return w.id;
  }

  it('map fan-out: 0 items join at once, 1 item runs once, 500 items at concurrency 10 complete with never more than 10 in flight, in item order', async () => {
    h = await openHarness({ seed: false });
    const wf = await publish('Map', mapDocument(10, { mode: 'all' }));

    const none = await h.service.startRun(wf, { input: { items: [] } }, 'tom');
    const noneEvents = await waitForRun(h.spine, none.runId);
    expect(noneEvents.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { all: [] } } });
    expect(noneEvents.filter((e) => e.type === 'task.dispatched')).toEqual([]);

    keys.length = 0;
    const one = await h.service.startRun(wf, { input: { items: items(1) } }, 'tom');
    const oneEvents = await waitForRun(h.spine, one.runId);
    expect(oneEvents.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { all: [{ doubled: 0, index: 0 }] } } });
    expect(oneEvents.find((e) => e.type === 'task.dispatched')?.payload).toMatchObject({ nodeId: 'work#0', item: { nodeId: 'work', index: 0, fanOutId: 'each' }, idempotencyKey: `${one.runId}:work#0:1` });
    expect(keys).toEqual([`${one.runId}:work#0:1`]);

    keys.length = 0;
    maxInFlight = 0;
    const many = await h.service.startRun(wf, { input: { items: items(500) } }, 'tom');
    const events = await waitForRun(h.spine, many.runId, 120_000);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed' });
    expect((events.at(-1)!.payload as { output: { all: Json[] } }).output.all).toEqual(items(500).map((x) => ({ doubled: x.n * 2, index: x.n })));
    expect(maxInFlight).toBeLessThanOrEqual(10);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(new Set(keys).size).toBe(500);
    // In the log too: an item starts only while fewer than 10 are running.
    let running = 0;
    for (const e of events) {
      if (e.type === 'fanout.item_started') running++;
      if (e.type === 'task.completed') running--;
      expect(running).toBeLessThanOrEqual(10);
    }
    expect(events.filter((e) => e.type === 'join.satisfied')).toHaveLength(1);
    expect(await h.service.getRun(many.runId)).toMatchObject({ status: 'completed' });
  });

  // A builtin agent with no latency runs inline, inside the planner's decide loop (plan.ts), capped at
  // MAX_DECIDE_ROUNDS rounds per step; every wave of a map (ceil(items / concurrency)) takes a round, so 120
  // items one at a time need several steps. This stalled until a capped step kicked its actor again.
  it("a fork of a map fan-out after its last step reuses every item's recorded answer: no agent call, the same output", async () => {
    h = await openHarness({ seed: false });
    const wf = await publish('Map fork', mapDocument(4, { mode: 'all' }));
    const origin = await h.service.startRun(wf, { input: { items: items(6) } }, 'tom');
    const events = await waitForRun(h.spine, origin.runId);
    expect(events.at(-1)!.type).toBe('run.completed');
    keys.length = 0;
    const fork = await h.service.forkRun(origin.runId, { atSeq: events.at(-1)!.seq }, 'ann');
    expect(fork.reused.sort()).toEqual(['work#0', 'work#1', 'work#2', 'work#3', 'work#4', 'work#5']);
    const forked = await waitForRun(h.spine, fork.runId);
    expect(forked.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: (events.at(-1)!.payload as { output: unknown }).output } });
    expect(keys).toEqual([]);
    expect((await h.service.replayRun(fork.runId)).identical).toBe(true);
  });

  it('map fan-out over a zero-latency builtin agent completes however many waves it needs', async () => {
    h = await openHarness();
    const doc = mapDocument(1, { mode: 'all' });
    doc.nodes[2] = { id: 'work', kind: 'agent', position: at(2), config: { agent: 'echo' } };
    const w = await h.service.workflows.create({ name: 'Inline map', document: doc });
    await h.service.publishWorkflow(w.id);
    const run = await h.service.startRun(w.id, { input: { items: items(120) } }, 'tom');
    expect((await waitForRun(h.spine, run.runId, 8_000)).at(-1)).toMatchObject({ type: 'run.completed' });
  });

  it('a failing item: retried, then with join all it fails the run; with quorum it is a failed branch', async () => {
    h = await openHarness({ seed: false });
    const all = await publish('Map all', mapDocument(3, { mode: 'all' }));
    const failing = await h.service.startRun(all, { input: { items: items(6, 4) } }, 'tom');
    const failedEvents = await waitForRun(h.spine, failing.runId);
    expect(failedEvents.filter((e) => e.type === 'task.dispatched' && nodeOf(e) === 'work#4').map((e) => (e.payload as { attempt: number }).attempt)).toEqual([1, 2]);
    expect(failedEvents.at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'node.failed', nodeId: 'work#4' } });

    const quorum = await publish('Map quorum', mapDocument(3, { mode: 'quorum', quorum: 5 }));
    const ok = await h.service.startRun(quorum, { input: { items: items(6, 4) } }, 'tom');
    const okEvents = await waitForRun(h.spine, ok.runId);
    expect(okEvents.at(-1)).toMatchObject({ type: 'run.completed' });
    const out = (okEvents.at(-1)!.payload as { output: { all: Json[] } }).output.all;
    expect(out).toHaveLength(6);
    expect(out.filter((x) => x !== null)).toHaveLength(5);

    const strict = await publish('Map quorum 6', mapDocument(3, { mode: 'quorum', quorum: 6 }));
    const unreachable = await h.service.startRun(strict, { input: { items: items(6, 1) } }, 'tom');
    expect((await waitForRun(h.spine, unreachable.runId)).at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'join.quorum_unreachable', nodeId: 'collect' } });
  });

  it('a static 2-of-3 quorum: one failing branch completes, two failing fail with join.quorum_unreachable', async () => {
    h = await openHarness({ seed: false });
    const branch = (id: string, x: number) => ({ id, kind: 'agent' as const, position: at(x), config: { agent: 'doubler', input: { n: `input.${id}`, fail: `input.${id} < 0`, index: '0' }, retry: FAST } });
    const wf = await publish('Votes', {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger', position: at(0) }, { id: 'fan', kind: 'fanOut', position: at(1) }, branch('a', 2), branch('b', 2), branch('c', 2),
        { id: 'votes', kind: 'join', position: at(3), config: { mode: 'quorum', quorum: 2 } }, { id: 'done', kind: 'end', position: at(4) },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'fan' }, { id: 'e2', source: 'fan', target: 'a' }, { id: 'e3', source: 'fan', target: 'b' }, { id: 'e4', source: 'fan', target: 'c' },
        { id: 'e5', source: 'a', target: 'votes' }, { id: 'e6', source: 'b', target: 'votes' }, { id: 'e7', source: 'c', target: 'votes' }, { id: 'e8', source: 'votes', target: 'done' },
      ],
    });
    const oneFails = await h.service.startRun(wf, { input: { a: -1, b: 2, c: 3 } }, 'tom');
    const twoFail = await h.service.startRun(wf, { input: { a: -1, b: -2, c: 3 } }, 'tom');
    const [x, y] = await Promise.all([waitForRun(h.spine, oneFails.runId), waitForRun(h.spine, twoFail.runId)]);
    expect(x.at(-1)).toMatchObject({ type: 'run.completed' });
    expect(x.find((e) => e.type === 'join.satisfied')?.payload).toMatchObject({ arrived: expect.arrayContaining(['b', 'c']) });
    expect(y.at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'join.quorum_unreachable', nodeId: 'votes' } });
  });

  it('procurement over 10,000: the contract approver cannot approve the large purchase too (403 approval.four_eyes); a second approver can', async () => {
    h = await openHarness();
    const run = await h.service.startRun('procurement', { input: { amount: 12_000, quantity: 3 } }, 'olga');
    const first = await waitForEvent(h.spine, run.runId, (e) => e.type === 'approval.requested' && nodeOf(e) === 'contract-approval');
    await h.service.decideApproval((first.payload as { approvalId: string }).approvalId, { decision: 'approve' }, { name: 'anna', roles: ['approver'] });
    const second = await waitForEvent(h.spine, run.runId, (e) => e.type === 'approval.requested' && nodeOf(e) === 'extra-approval');
    const extra = (second.payload as { approvalId: string }).approvalId;
    await expect(h.service.decideApproval(extra, { decision: 'approve' }, { name: 'anna', roles: ['approver'] })).rejects.toMatchObject({ code: 'approval.four_eyes', httpStatus: 403 });
    await h.service.decideApproval(extra, { decision: 'approve' }, { name: 'ben', roles: ['approver'] });
    const events = await waitForRun(h.spine, run.runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { endNodeId: 'paid' } });
    expect(events.filter((e) => e.type === 'approval.decided').map((e) => (e.payload as { actor: string }).actor)).toEqual(['anna', 'ben']);
  });

  it('an approval whose SLA lapses escalates: approval.escalated, the pending view shows the new role, only it may decide', async () => {
    h = await openHarness({ seed: false });
    const wf = await publish('Escalating', {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger', position: at(0) },
        { id: 'gate', kind: 'approval', position: at(1), config: { role: 'approver', slaMs: 50, onLapse: 'escalate', escalateTo: 'operator' } },
        { id: 'done', kind: 'end', position: at(2) }, { id: 'refused', kind: 'end', position: at(2), config: { outcome: 'failure' } },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'gate' }, { id: 'e2', source: 'gate', sourceHandle: 'approved', target: 'done' }, { id: 'e3', source: 'gate', sourceHandle: 'rejected', target: 'refused' }],
    });
    const { runId } = await h.service.startRun(wf, { input: {} }, 'tom');
    const escalated = await waitForEvent(h.spine, runId, (e) => e.type === 'approval.escalated');
    expect(escalated.payload).toMatchObject({ nodeId: 'gate', fromRole: 'approver', role: 'operator', dueAt: null, escalatedAt: expect.any(String) });
    const pending = (await h.service.pendingApprovals()).find((p) => p.runId === runId);
    expect(pending).toMatchObject({ role: 'operator', dueAt: null });
    await expect(h.service.decideApproval(`${runId}:gate`, { decision: 'approve' }, { name: 'paula', roles: ['approver'] })).rejects.toMatchObject({ code: 'approval.wrong_role' });
    await h.service.decideApproval(`${runId}:gate`, { decision: 'approve' }, { name: 'otto', roles: ['operator'] });
    expect((await waitForRun(h.spine, runId)).at(-1)).toMatchObject({ type: 'run.completed' });
  });

  it("an agent's limits hold across runs: concurrency 2 under a map that allows 10, and its shorter timeout fails the task as a timeout", async () => {
    h = await openHarness({ seed: false });
    const wf = await publish('Limited', mapDocument(10, { mode: 'all' }));
    await h.service.agentStore.upsert({ name: 'doubler', kind: 'http', config: { url }, limits: { concurrency: 2 } });
    await h.service.agents.refresh();

    maxInFlight = 0;
    keys.length = 0;
    const runs = await Promise.all([1, 2].map(() => h!.service.startRun(wf, { input: { items: items(30) } }, 'tom')));
    for (const r of runs) expect((await waitForRun(h.spine, r.runId, 60_000)).at(-1)).toMatchObject({ type: 'run.completed' });
    expect(new Set(keys).size).toBe(60);
    expect(maxInFlight).toBe(2);

    // The agent's own time limit (1 ms) is shorter than the node's (the default): every attempt times out.
    await h.service.agentStore.upsert({ name: 'doubler', kind: 'http', config: { url }, limits: { timeoutMs: 1 } });
    await h.service.agents.refresh();
    const slow = await h.service.startRun(wf, { input: { items: items(1) } }, 'tom');
    const events = await waitForRun(h.spine, slow.runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.failed' });
    const failures = events.filter((e) => e.type === 'task.failed').map((e) => e.payload);
    expect(failures).toHaveLength(FAST.maxAttempts);
    for (const f of failures) expect(f).toMatchObject({ errorKind: 'timeout', error: 'timed out after 1 ms' });
  });
});
