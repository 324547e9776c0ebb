/**
 * Results due in the same turn of the event loop join one step: the five branches of the legal case, each
 * answering after the same 25 ms, commit their task.completed events together with the join they satisfy,
 * instead of the first alone and the other four in the next step (a commit, and its fsync, more on the
 * run's critical path). The log's batches are counted at the log itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PreparedEvent } from '@/server/spine/log/sequencer';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';

const BRANCHES = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'];
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('sibling results', () => {
  it('commit together with the join they satisfy', async () => {
    // regulatory-risk answers like precedent: a low-risk case, so the router takes its default branch.
    h = await openHarness({ agents: Object.fromEntries(BRANCHES.map((a) => [a, { latencyMs: 25, behaviour: a === 'regulatory-risk' ? 'precedent' : a }])) });
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
