/**
 * Agent health from a seeded log: success rate and latency percentiles from the agents' results, degraded
 * below 90 % or after a failed last task, offline without a task event (or, for sdk agents, a heartbeat) in
 * the hour, and tasks in flight from a real run whose agent is still working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendInput } from '@/server/spine';
import { openHarness, publishDocument, waitForEvent, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { agentHealth } from './agentHealth';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(() => h.close());

const result = (agent: string, ok: boolean, durationMs: number): AppendInput => ({
  type: ok ? 'task.completed' : 'task.failed',
  source: { kind: 'agent', name: agent },
  payload: ok ? { nodeId: 'n', attempt: 1, output: {}, durationMs } : { nodeId: 'n', attempt: 1, error: `${agent} broke after ${durationMs} ms`, retryable: true, durationMs },
});

describe(`agent health (${testDbKind()})`, () => {
  it('computes status, success rate, p50/p95 and the last error per agent over the last hour', async () => {
    await h.spine.append([
      ...Array.from({ length: 10 }, (_, i) => result('fast', true, (i + 1) * 10)),
      ...Array.from({ length: 8 }, () => result('flaky', true, 5)), result('flaky', false, 7), result('flaky', false, 9),
      ...Array.from({ length: 10 }, () => result('tripped', true, 5)), result('tripped', false, 3),
    ]);
    const beat = new Date();
    const agents = [
      { name: 'fast', kind: 'http' }, { name: 'flaky', kind: 'http' }, { name: 'tripped', kind: 'builtin' }, { name: 'idle', kind: 'http' },
      { name: 'remote', kind: 'sdk' }, { name: 'silent', kind: 'sdk' },
    ];
    const health = await agentHealth(h.spine.log, { agents, lastHeartbeat: (a) => (a === 'remote' ? beat : null) });
    const by = Object.fromEntries(health.map((x) => [x.agent, x]));
    expect(by.fast).toMatchObject({ status: 'online', completed: 10, failed: 0, successRate: 1, p50: 50, p95: 100, lastError: null });
    expect(by.fast!.lastSeenMs).toBeGreaterThan(Date.now() - 60_000);
    expect(by.flaky).toMatchObject({ status: 'degraded', completed: 8, failed: 2, successRate: 0.8, lastError: { message: 'flaky broke after 9 ms' } });
    expect(by.tripped).toMatchObject({ status: 'degraded', reason: 'its last task failed', completed: 10, failed: 1 });
    expect(by.tripped!.successRate).toBeGreaterThan(0.9);
    expect(by.idle).toMatchObject({ status: 'offline', lastSeenMs: null, successRate: null, p50: null });
    expect(by.remote).toMatchObject({ status: 'online', lastSeenMs: beat.getTime() });
    expect(by.silent).toMatchObject({ status: 'offline', reason: 'no task and no heartbeat in the last hour' });

    // Two hours on, nothing is in the window any more.
    const later = await agentHealth(h.spine.log, { agents, nowMs: Date.now() + 2 * 60 * 60_000 });
    expect(later.map((x) => x.status)).toEqual(['offline', 'offline', 'offline', 'offline', 'offline', 'offline']);
  });

  it('counts the tasks an agent is working on in running runs', async () => {
    await h.service.agentStore.upsert({ name: 'slow', kind: 'builtin', config: { behaviour: 'echo', latencyMs: 60_000 } });
    await h.service.agents.refresh();
    const doc = {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
        { id: 'work', kind: 'agent', position: { x: 200, y: 0 }, config: { agent: 'slow', timeoutMs: 120_000 } },
        { id: 'done', kind: 'end', position: { x: 400, y: 0 }, config: { outcome: 'success' } },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'work' }, { id: 'e2', source: 'work', target: 'done' }],
    } as unknown as WorkflowDocument;
    const wf = await publishDocument(h, 'Slow one', doc);
    const { runId } = await h.service.startRun(wf, { input: {} }, 'ada');
    await waitForEvent(h.spine, runId, (e) => e.type === 'task.dispatched');
    const [slow] = await agentHealth(h.spine.log, { agents: [{ name: 'slow', kind: 'builtin' }] });
    expect(slow).toMatchObject({ status: 'online', inFlight: 1, successRate: null });
    await h.service.cancelRun(runId, 'ada');
    await waitForEvent(h.spine, runId, (e) => e.type === 'run.cancelled');
    const [after] = await agentHealth(h.spine.log, { agents: [{ name: 'slow', kind: 'builtin' }] });
    expect(after!.inFlight).toBe(0);
  });
});
