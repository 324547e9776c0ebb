/**
 * The article's scenarios, end to end on the selected database: the demo workflows with builtin agents,
 * and again with the same agents as LLM agents (kind openai) answered by a fake OpenAI-compatible server
 * on loopback, started by API or by events published to the spine, asserting event order and outcome.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { hotel } from '@/server/agents/builtin/agents';
import { openHarness as openEngineHarness, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { holdAgentCalls } from '@/server/testing/heldCalls';
import { testDbKind } from '@/server/testing/testDb';
import { createWorkflowLibrary } from '@/server/workflows/library';

const nodeOf = (e: SpineEvent) => (e.payload as { nodeId?: string }).nodeId;
const idx = (events: SpineEvent[], type: string, nodeId?: string) => events.findIndex((e) => e.type === type && (nodeId === undefined || nodeOf(e) === nodeId));
const count = (events: SpineEvent[], type: string, nodeId?: string) => events.filter((e) => e.type === type && (nodeId === undefined || nodeOf(e) === nodeId)).length;

describe.each(['builtin', 'openai'] as const)(`scenarios (${testDbKind()}, %s agents)`, (agentKind) => {
  let h: Harness | undefined;
  const openHarness = (opts: Parameters<typeof openEngineHarness>[0] = {}) => openEngineHarness({ ...opts, agentKind });
  afterEach(async () => {
    // Issue 14 §2: every run a scenario left, ended or not, replays from its log alone with the same decisions.
    if (h) {
      const started = await h.spine.read({ after: 0, limit: 10_000, filter: { types: ['run.started'] } });
      for (const e of started) {
        const v = await h.service.replayRun(e.runId!);
        const what = `run ${e.runId} (${(e.payload as { workflowSlug: string }).workflowSlug})`;
        expect(v.mismatch && `${v.mismatch.reason} at seq ${v.mismatch.seq} (${v.mismatch.type})`, what).toBeUndefined();
        // A run that ended got there by the engine's decisions, and replay re-made them.
        if (v.status !== 'running') expect(v.decisions, what).toBeGreaterThan(0);
      }
    }
    await h?.close();
    h = undefined;
    vi.restoreAllMocks();
  });

  it('legal case: case.opened fans out to 5 agents, the join fires once after all, the summary routes a high-risk case to review', async () => {
    h = await openHarness({ agents: { 'case-law': { latencyMs: 30 }, precedent: { latencyMs: 5 }, sentiment: { latencyMs: 15 } } });
    const { seq } = await h.spine.publish({ type: 'case.opened', key: 'case:1', payload: { facts: 'GDPR breach at a subsidiary', intent: 'Assess the case' } });
    const started = await waitForTrigger(h, seq);
    const approval = await waitForEvent(h.spine, started.runId!, (e) => e.type === 'approval.requested');
    expect(await h.service.getRun(started.runId!)).toMatchObject({ status: 'waiting', workflowSlug: 'legal-case-analysis' });
    await h.service.decideApproval((approval.payload as { approvalId: string }).approvalId, { decision: 'approve', comment: 'ok' }, { name: 'paula' });
    const events = await waitForRun(h.spine, started.runId!);
    const branches = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'];
    const join = idx(events, 'join.satisfied', 'all-analyses');
    for (const b of branches) expect(idx(events, 'task.completed', b)).toBeLessThan(join);
    expect(count(events, 'join.satisfied')).toBe(1);
    expect(idx(events, 'task.dispatched', 'summarizer')).toBeGreaterThan(join);
    expect(events.find((e) => e.type === 'route.chosen')?.payload).toMatchObject({ routeId: 'high' });
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { endNodeId: 'released' } });
    expect(events.find((e) => e.type === 'approval.decided')).toMatchObject({ source: { kind: 'user', name: 'paula' } });
    const env = await h.spine.envelope(started.runId!);
    expect(env.state.summary).toMatchObject({ risk: 'high' });
    if (agentKind === 'openai') {
      // Every completion records the tokens its call used, and its cost at the agents' price (1 in, 2 out per 1M).
      const completions = events.filter((e) => e.type === 'task.completed').map((e) => e.payload as { inputTokens: number; outputTokens: number; model: string; cost: number; nodeId: string });
      expect(completions).toHaveLength(6);
      for (const c of completions) {
        expect(c.inputTokens).toBeGreaterThan(0);
        expect(c.outputTokens).toBeGreaterThan(0);
        expect(c.model).toBe(c.nodeId);
        expect(c.cost).toBeCloseTo((c.inputTokens + 2 * c.outputTokens) / 1e6, 9);
      }
      expect(h.llm!.requests).toHaveLength(6);
    }
    expect(env.intent).toBe('Assess the case');
  });

  it('procurement: legal review then contract approval in sequence; over 10,000 needs a second approval; payment only after stock is confirmed', async () => {
    h = await openHarness();
    const big = await h.service.startRun('procurement', { input: { amount: 12_000, quantity: 3 }, intent: 'Buy servers' }, 'olga');
    await approveWhenAsked(h, big.runId, 'contract-approval', 'anna');
    await approveWhenAsked(h, big.runId, 'extra-approval', 'ben');
    const events = await waitForRun(h.spine, big.runId);
    expect(idx(events, 'task.completed', 'legal-review')).toBeLessThan(idx(events, 'approval.requested', 'contract-approval'));
    expect(idx(events, 'approval.decided', 'contract-approval')).toBeLessThan(idx(events, 'approval.requested', 'extra-approval'));
    expect(idx(events, 'task.completed', 'inventory-check')).toBeLessThan(idx(events, 'task.dispatched', 'payment'));
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { endNodeId: 'paid' } });

    const small = await h.service.startRun('procurement', { input: { amount: 500, quantity: 1 } }, 'olga');
    await approveWhenAsked(h, small.runId, 'contract-approval', 'anna');
    const smallEvents = await waitForRun(h.spine, small.runId);
    expect(count(smallEvents, 'approval.requested')).toBe(1);
    expect(smallEvents.at(-1)).toMatchObject({ type: 'run.completed' });

    const noStock = await h.service.startRun('procurement', { input: { amount: 500, quantity: 1000 } }, 'olga');
    await approveWhenAsked(h, noStock.runId, 'contract-approval', 'anna');
    const noStockEvents = await waitForRun(h.spine, noStock.runId);
    expect(count(noStockEvents, 'task.dispatched', 'payment')).toBe(0);
    expect(noStockEvents.at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'end.failure', nodeId: 'out-of-stock' } });
  });

  it('booking vs cancellation on the same room key, milliseconds apart: processed one at a time in seq order', async () => {
    h = await openHarness({ agents: { 'booking-desk': { latencyMs: 40 } } });
    hotel.clear();
    // The booking is held at the desk until the cancellation has queued behind it, and room 1's booking until
    // room 2's has been dispatched: "while the first is still at work" holds however slow the machine is.
    const calls = holdAgentCalls();
    const room = (t: { input: unknown }) => (t.input as { room?: string }).room;
    const releaseBooking = calls.hold((t) => room(t) === '12' && (t.input as { action?: string }).action === 'book');
    const releaseRoom1 = calls.hold((t) => room(t) === '1');
    const [book, cancel] = await h.spine.append([
      { type: 'booking.requested', key: 'room:12', payload: { room: '12', action: 'book', guest: 'ada' } },
      { type: 'booking.cancelled', key: 'room:12', payload: { room: '12', action: 'cancel' } },
    ]);
    const first = await waitForTrigger(h, book!.seq);
    const second = await waitForTrigger(h, cancel!.seq);
    await waitForEvent(h.spine, second.runId!, (e) => e.type === 'run.queued');
    releaseBooking();
    const [a, b] = await Promise.all([waitForRun(h.spine, first.runId!), waitForRun(h.spine, second.runId!)]);
    expect(b.find((e) => e.type === 'run.queued')).toBeDefined();
    const aEnd = a.at(-1)!.seq;
    expect(b.find((e) => e.type === 'task.dispatched')!.seq).toBeGreaterThan(aEnd);
    expect(a.at(-1)!.payload).toMatchObject({ output: { booking: { result: 'confirmed' } } });
    expect(b.at(-1)!.payload).toMatchObject({ output: { booking: { result: 'released' } } });
    expect(hotel.get('12')?.status).toBe('free');
    // Different keys do not wait for each other.
    const [x, y] = await h.spine.append([
      { type: 'booking.requested', key: 'room:1', payload: { room: '1' } },
      { type: 'booking.requested', key: 'room:2', payload: { room: '2' } },
    ]);
    const rx = await waitForTrigger(h, x!.seq);
    const ry = await waitForTrigger(h, y!.seq);
    // Room 2 is dispatched while room 1 is still held at the desk (were keys serialized across rooms, this wait would time out).
    await waitForEvent(h.spine, ry.runId!, (e) => e.type === 'task.dispatched');
    releaseRoom1();
    const [ex, ey] = await Promise.all([waitForRun(h.spine, rx.runId!), waitForRun(h.spine, ry.runId!)]);
    expect(ey.find((e) => e.type === 'task.dispatched')!.seq).toBeLessThan(ex.at(-1)!.seq);
  });

  it('translation runs only after sentiment flags the text appropriate', async () => {
    h = await openHarness();
    const ok = await h.service.startRun('translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' } }, 'tom');
    const okEvents = await waitForRun(h.spine, ok.runId);
    expect(idx(okEvents, 'task.completed', 'sentiment')).toBeLessThan(idx(okEvents, 'task.dispatched', 'translator'));
    expect(okEvents.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { translation: { translated: '[de] Thank you, great service' } } } });
    const bad = await h.service.startRun('translation-after-sentiment', { input: { text: 'I will kill you' } }, 'tom');
    const badEvents = await waitForRun(h.spine, bad.runId);
    expect(count(badEvents, 'task.dispatched', 'translator')).toBe(0);
    expect(badEvents.at(-1)).toMatchObject({ type: 'run.failed', payload: { nodeId: 'rejected' } });
  });

  it('an archived workflow is not started by its trigger event, a restored one is again; both changes are events', async () => {
    h = await openHarness();
    const library = createWorkflowLibrary({ db: h.db, workflows: h.service.workflows, spine: h.spine });
    // No call into the engine: it learns of the change from the events, as the leader in another process would.
    await library.setArchived('legal-case-analysis', true, 'ada');
    const ignored = await h.spine.publish({ type: 'case.opened', key: 'case:archived', payload: { facts: 'while archived' } });
    await library.setArchived('legal-case-analysis', false, 'ada');
    const counted = await h.spine.publish({ type: 'case.opened', key: 'case:restored', payload: { facts: 'after restore' } });
    const started = await waitForTrigger(h, counted.seq);
    expect(started.payload).toMatchObject({ workflowSlug: 'legal-case-analysis' });
    const ignoredEvent = await h.spine.getEvent(ignored.seq);
    const starts = await h.spine.read({ after: 0, limit: 1000, filter: { types: ['run.started'] } });
    expect(starts.filter((e) => e.causationId === ignoredEvent.id)).toEqual([]);
    const changes = await h.spine.read({ after: 0, limit: 1000, filter: { types: ['workflow.archived', 'workflow.restored'] } });
    expect(changes.map((e) => [e.type, e.source.name, (e.payload as { slug: string }).slug])).toEqual([
      ['workflow.archived', 'ada', 'legal-case-analysis'],
      ['workflow.restored', 'ada', 'legal-case-analysis'],
    ]);
    // Archiving what is archived already changes nothing and records nothing.
    await library.setArchived('legal-case-analysis', false, 'ada');
    expect(await h.spine.read({ after: 0, limit: 1000, filter: { types: ['workflow.restored'] } })).toHaveLength(1);
  });

  it('a failed keyed run retried by hand queues behind the run holding its key, then fails or finishes again like any run', async () => {
    // echo fails its first 4 attempts: a run's 3 attempts fail; retried by hand, attempt 4 fails, 5 succeeds.
    h = await openHarness({ agents: { echo: { failFirst: 4 } } });
    const fast = { maxAttempts: 3, initialBackoffMs: 1, backoffMultiplier: 1, maxBackoffMs: 1, jitter: 0 };
    const w = await h.service.workflows.create({
      name: 'Fail or wait',
      document: {
        formatVersion: 1,
        nodes: [
          // Its approval holds the key: key hold `run` (the default `working` would let it go while it waits).
          { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual', keyHold: 'run' } },
          { id: 'which', kind: 'router', label: 'Which', position: { x: 1, y: 0 }, config: { routes: [{ id: 'work', condition: 'input.work == true' }] } },
          { id: 'echo', kind: 'agent', label: 'Echo', position: { x: 2, y: 0 }, config: { agent: 'echo', retry: fast } },
          { id: 'hold', kind: 'approval', label: 'Hold the key', position: { x: 2, y: 1 }, config: {} },
          { id: 'done', kind: 'end', label: 'Done', position: { x: 3, y: 0 }, config: { outcome: 'success' } },
          { id: 'held', kind: 'end', label: 'Held', position: { x: 3, y: 1 }, config: { outcome: 'success' } },
          { id: 'refused', kind: 'end', label: 'Refused', position: { x: 3, y: 2 }, config: { outcome: 'failure' } },
        ],
        edges: [
          { id: 'e1', source: 'start', target: 'which' },
          { id: 'e2', source: 'which', sourceHandle: 'work', target: 'echo' },
          { id: 'e3', source: 'which', sourceHandle: 'default', target: 'hold' },
          { id: 'e4', source: 'echo', target: 'done' },
          { id: 'e5', source: 'hold', sourceHandle: 'approved', target: 'held' },
          { id: 'e6', source: 'hold', sourceHandle: 'rejected', target: 'refused' },
        ],
      },
    });
    await h.service.publishWorkflow(w.id);
    const a = await h.service.startRun(w.id, { input: { work: true }, key: 'room:9' }, 'tom');
    expect((await waitForRun(h.spine, a.runId)).at(-1)).toMatchObject({ type: 'run.failed', payload: { nodeId: 'echo' } });

    // Another run takes the free key and holds it at its approval.
    const b = await h.service.startRun(w.id, { input: { work: false }, key: 'room:9' }, 'tom');
    const asked = await waitForEvent(h.spine, b.runId, (e) => e.type === 'approval.requested');

    // Retried by hand, A queues behind B: no attempt while B holds the key.
    await h.service.retryNode(a.runId, 'echo', 'ops');
    await waitForEvent(h.spine, a.runId, (e) => e.type === 'run.queued' && e.seq > asked.seq);
    await new Promise((r) => setTimeout(r, 200));
    const held = await h.spine.read({ after: asked.seq, limit: 1000, filter: { runId: a.runId } });
    expect(held.filter((e) => e.type === 'task.dispatched')).toEqual([]);

    await h.service.decideApproval((asked.payload as { approvalId: string }).approvalId, { decision: 'approve' }, { name: 'paula' });
    const bEvents = await waitForRun(h.spine, b.runId);
    // Attempt 4 fails, and the run ends failed a second time (not stuck on its first end's idempotency key).
    const again = await waitForEvent(h.spine, a.runId, (e) => e.type === 'run.failed' && e.seq > asked.seq);
    const dispatched = await h.spine.read({ after: asked.seq, limit: 1000, filter: { runId: a.runId, types: ['task.dispatched'] } });
    expect(dispatched.map((e) => (e.payload as { attempt: number }).attempt)).toEqual([4]);
    expect(dispatched[0]!.seq).toBeGreaterThan(bEvents.at(-1)!.seq);
    expect(await h.service.getRun(a.runId)).toMatchObject({ status: 'failed' });

    // Retried once more, attempt 5 succeeds and the run completes.
    await h.service.retryNode(a.runId, 'echo', 'ops');
    const done = await waitForEvent(h.spine, a.runId, (e) => e.type === 'run.completed');
    expect(done.seq).toBeGreaterThan(again.seq);
    expect(await h.service.getRun(a.runId)).toMatchObject({ status: 'completed' });
  });

  it('shipping label: the address changes mid-run and the stale label is re-run on the new address', async () => {
    h = await openHarness({ agents: { 'label-printer': { latencyMs: 20 } } });
    // The first label is held at the printer until the address has changed: it is certainly printed for the old one.
    const release = holdAgentCalls().hold((t) => t.nodeId === 'label-printer' && t.attempt === 1);
    const { runId } = await h.service.startRun('shipping-label', { input: { address: 'Old Street 1' } }, 'sam');
    await waitForEvent(h.spine, runId, (e) => e.type === 'task.dispatched' && nodeOf(e) === 'label-printer');
    await h.service.patchContext(runId, { patch: { address: 'New Avenue 2' } }, 'customer');
    release();
    const events = await waitForRun(h.spine, runId);
    expect(events.find((e) => e.type === 'task.stale')?.payload).toMatchObject({ nodeId: 'label-printer', attempt: 1, policy: 'rerun' });
    expect(events.filter((e) => e.type === 'task.dispatched' && nodeOf(e) === 'label-printer').map((e) => (e.payload as { attempt: number }).attempt)).toEqual([1, 2]);
    expect(count(events, 'task.completed', 'label-printer')).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { label: 'LABEL[New Avenue 2]' } } });
  });
});

/** The run a trigger event started (found by its causation). */
async function waitForTrigger(h: Harness, seq: number): Promise<SpineEvent> {
  const cause = await h.spine.getEvent(seq);
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 10_000);
  try {
    for await (const e of h.spine.subscribe({ types: ['run.started'], after: seq, signal: ac.signal })) if (e.causationId === cause.id) return e;
  } finally {
    clearTimeout(t);
  }
  throw new Error(`no run started by seq ${seq}`);
}

async function approveWhenAsked(h: Harness, runId: string, nodeId: string, actor: string) {
  const e = await waitForEvent(h.spine, runId, (x) => x.type === 'approval.requested' && nodeOf(x) === nodeId);
  await h.service.decideApproval((e.payload as { approvalId: string }).approvalId, { decision: 'approve' }, { name: actor });
}
