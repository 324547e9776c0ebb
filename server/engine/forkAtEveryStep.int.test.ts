/**
 * Issue 14 §4: every run of the seed scenarios (server/demo), forked at every step, on the selected
 * database. Each fork must end (its approvals decided like the origin's) and replay identically from its
 * own log; the origin must still replay after its `run.forked` events. Forked at its end with nothing
 * changed, a fork reproduces the origin's outcome and output without a single agent call, and comparing
 * the two finds no divergence.
 *
 * Every event of the origin is a fork point, from its `run.started` (nothing reused) to its end (every
 * recorded output reused); a fork at seq s reuses exactly the agent outputs recorded before s.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Json, SpineEvent } from '@/server/spine';
import { BuiltinAdapter } from '@/server/agents/builtin/builtinAdapter';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => {
  await h?.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const TERMINAL = new Set(['run.completed', 'run.failed', 'run.cancelled']);
const nodeOf = (e: SpineEvent) => (e.payload as { nodeId?: string }).nodeId;

/** Follows a run to its end, approving each approval it asks for (a different approver per step: four eyes). */
async function drive(runId: string): Promise<SpineEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 20_000);
  const events: SpineEvent[] = [];
  try {
    for await (const e of h.spine.subscribe({ runId, fromSeq: 1, signal: ac.signal })) {
      events.push(e);
      if (e.type === 'approval.requested') await h.service.decideApproval((e.payload as { approvalId: string }).approvalId, { decision: 'approve' }, { name: `approver-of-${nodeOf(e)}` });
      if (TERMINAL.has(e.type)) return events;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`run ${runId} did not end; last events: ${events.slice(-5).map((e) => e.type).join(', ')}`);
}

/** Counts agent calls: builtins run inline (zero latency) or through the adapter; both are counted. */
function countAgentCalls(): { count: () => number } {
  const inline = vi.spyOn(BuiltinAdapter.prototype, 'runInline');
  const invoke = vi.spyOn(BuiltinAdapter.prototype, 'invoke');
  return { count: () => inline.mock.calls.length + invoke.mock.calls.length };
}

const completions = (events: SpineEvent[]) => events.filter((e) => e.type === 'task.completed').map((e) => e.payload as { nodeId: string; output: Json; reused?: boolean });

type Scenario = { name: string; slug: string; input: Json; intent?: string };
const SCENARIOS: Scenario[] = [
  { name: 'legal case: five analyses, a join, the high-risk route and a partner review', slug: 'legal-case-analysis', input: { facts: 'GDPR breach at a subsidiary' }, intent: 'Assess the case' },
  { name: 'procurement over 10,000: two approvals, then payment', slug: 'procurement', input: { amount: 12_000, quantity: 3 }, intent: 'Buy servers' },
  { name: 'procurement out of stock: fails at the failure end', slug: 'procurement', input: { amount: 500, quantity: 1000 } },
  { name: 'translation after sentiment: translated', slug: 'translation-after-sentiment', input: { text: 'Thank you, great service', to: 'de' } },
  { name: 'translation after sentiment: rejected', slug: 'translation-after-sentiment', input: { text: 'I will kill you' } },
  { name: 'booking a room', slug: 'booking-vs-cancellation', input: { room: '31', action: 'book', guest: 'ada' } },
  { name: 'shipping label', slug: 'shipping-label', input: { address: 'Old Street 1' } },
];

describe(`forking the seed scenarios at every step (${testDbKind()})`, () => {
  it.each(SCENARIOS)('$name', async ({ slug, input, intent }) => {
    const origin = await h.service.startRun(slug, { input, ...(intent && { intent }) }, 'ann');
    const events = (await drive(origin.runId)).filter((e) => e.runId === origin.runId);
    const recorded = new Map(completions(events).map((c) => [c.nodeId, c.output]));
    expect(recorded.size).toBeGreaterThan(0);
    const wf = await h.service.workflow((events[0]!.payload as { workflowId: string }).workflowId, (events[0]!.payload as { version: number }).version);
    const agentNodes = new Set(wf.doc.nodes.filter((n) => n.kind === 'agent').map((n) => n.id));

    const points = events.map((e) => e.seq);
    const end = events.at(-1)!;
    for (const atSeq of points) {
      const calls = countAgentCalls();
      const what = `${slug} forked at seq ${atSeq} (${events.find((e) => e.seq === atSeq)!.type})`;
      const fork = await h.service.forkRun(origin.runId, { atSeq }, 'ann');
      const expected = events.filter((e) => e.type === 'task.completed' && e.seq < atSeq && agentNodes.has(nodeOf(e)!)).map((e) => nodeOf(e)!);
      expect(fork.reused.sort(), what).toEqual([...new Set(expected)].sort());
      const forked = await drive(fork.runId);
      expect(TERMINAL.has(forked.at(-1)!.type), what).toBe(true);
      // Each reused node answers with the origin's recorded output, marked as reused.
      for (const c of completions(forked).filter((x) => fork.reused.includes(x.nodeId))) expect({ node: c.nodeId, reused: c.reused, output: c.output }, what).toEqual({ node: c.nodeId, reused: true, output: recorded.get(c.nodeId) });
      const v = await h.service.replayRun(fork.runId);
      expect(v.mismatch && `${v.mismatch.reason} at seq ${v.mismatch.seq} (${v.mismatch.type})`, what).toBeUndefined();
      expect(v.status, what).toBe((await h.service.getRun(fork.runId)).status);

      if (atSeq === end.seq) {
        // Forked at the end with nothing changed: the same outcome and output, not one agent called.
        expect(calls.count(), what).toBe(0);
        // Its dispatches are answered from the record (plan.ts): every completion is a reused one.
        expect(completions(forked).every((c) => c.reused === true), what).toBe(true);
        expect(forked.at(-1)!.type, what).toBe(end.type);
        expect(forked.at(-1)!.payload, what).toEqual(end.payload);
        const c = await h.service.compareRuns(origin.runId, fork.runId);
        expect(c.divergence, what).toBeNull();
        expect(c.b.tokens, what).toMatchObject({ agentCalls: 0, reused: recorded.size });
        expect(c.b.path, what).toEqual(c.a.path);
      }
      vi.restoreAllMocks();
    }
    const v = await h.service.replayRun(origin.runId);
    expect(v.mismatch, `${slug} origin after ${points.length} forks`).toBeUndefined();
    expect((await h.service.runEvents(origin.runId)).filter((e) => e.type === 'run.forked')).toHaveLength(points.length);
  });
});
