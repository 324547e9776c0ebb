/**
 * Results that arrive in the same turn of the event loop join one step: the five branches of the legal case
 * answer together and commit their task.completed events together with the join they satisfy, instead of
 * the first alone and the other four in the next step (a commit, and its fsync, more on the run's critical
 * path). The branches wait at a barrier that lets all five answer in one synchronous block, so the test does
 * not rest on five timers firing in the same turn (under load they do not). The log's batches are counted at
 * the log itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PreparedEvent } from '@/server/spine/log/sequencer';
import type { AgentAdapter } from '@/server/agents';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';

const BRANCHES = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'];
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Holds the branches' calls until all of them are in, then lets them go in one synchronous block. */
function barrier(adapter: AgentAdapter) {
  const invoke = adapter.invoke.bind(adapter);
  let waiting: (() => void)[] = [];
  adapter.invoke = async (agent, task, signal, tools) => {
    if (!BRANCHES.includes(agent.name)) return invoke(agent, task, signal, tools);
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length < BRANCHES.length) return;
      const all = waiting;
      waiting = [];
      for (const go of all) go();
    });
    // latencyMs keeps the branches out of the inline path; past the barrier they answer without a timer.
    return invoke({ ...agent, config: { ...agent.config, latencyMs: 0 } }, task, signal, tools);
  };
}

describe('sibling results', () => {
  it('commit together with the join they satisfy', async () => {
    // regulatory-risk answers like precedent: a low-risk case, so the router takes its default branch.
    h = await openHarness({ agents: Object.fromEntries(BRANCHES.map((a) => [a, { latencyMs: 1, behaviour: a === 'regulatory-risk' ? 'precedent' : a }])) });
    barrier(h.service.agents.adapterFor('builtin')!);
    const log = h.spine.log as unknown as { commitBatch(batch: PreparedEvent[][]): Promise<unknown> };
    const batches: string[][] = [];
    const commit = log.commitBatch.bind(log);
    log.commitBatch = (batch) => (batches.push(batch.flat().map((e) => `${e.type}:${(e.payload as { nodeId?: string }).nodeId ?? ''}`)), commit(batch));
    for (let i = 0; i < 3; i++) {
      batches.length = 0;
      const { runId } = await h.service.core.startRun({ workflowId: 'legal-case-analysis', input: { facts: `routine contract dispute ${i}` }, startedBy: 'test' });
      const events = await waitForRun(h.spine, runId);
      expect(events.at(-1)!.type).toBe('run.completed');
      const joined = batches.find((b) => b.some((t) => t.startsWith('join.satisfied')))!;
      expect(joined.filter((t) => BRANCHES.some((b) => t === `task.completed:${b}`)), batches.map((b) => b.join(',')).join(' | ')).toHaveLength(BRANCHES.length);
    }
  });
});
