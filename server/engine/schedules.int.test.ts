/**
 * Scheduled triggers: a published workflow with a cron trigger starts one run per matching minute, even
 * when the instant is armed twice (publish again, restart).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

const doc: WorkflowDocument = {
  formatVersion: 1,
  nodes: [
    { id: 'tick', kind: 'trigger', position: { x: 0, y: 0 }, config: { mode: 'schedule', cron: '* * * * *' } },
    { id: 'echo', kind: 'agent', position: { x: 200, y: 0 }, config: { agent: 'echo', timeoutMs: 5000, retry: { maxAttempts: 1, initialBackoffMs: 0, backoffMultiplier: 2, maxBackoffMs: 0, jitter: 0 }, onStale: 'rerun' } },
    { id: 'done', kind: 'end', position: { x: 400, y: 0 }, config: { outcome: 'success' } },
  ],
  edges: [
    { id: 'e1', source: 'tick', target: 'echo' },
    { id: 'e2', source: 'echo', target: 'done' },
  ],
} as WorkflowDocument;

describe(`scheduled triggers (${testDbKind()})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('starts one run at the next cron minute, once, even when armed twice', async () => {
    // The engine's clock stands still 400 ms before a whole minute from before the workflow is published
    // (armed) twice until that minute's run has started: both arms, and every wake-up until the start, see
    // the same minute ahead however long the machine takes. (A wake-up that finds the instant started
    // already arms the same instant again while the clock stands: more arming, still one run.)
    const minute = (Math.floor(Date.now() / 60_000) + 2) * 60_000;
    let clock: 'real' | 'frozen' | 'running' = 'real';
    let resumedAt = 0;
    h = await openHarness({ now: () => (clock === 'real' ? Date.now() : clock === 'frozen' ? minute - 400 : minute + (Date.now() - resumedAt)) });
    await h.service.workflows.create({ name: 'Every minute', slug: 'every-minute', document: doc });
    clock = 'frozen';
    await h.service.publishWorkflow('every-minute', { createdBy: 'test' });
    await h.service.publishWorkflow('every-minute', { createdBy: 'test' });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 20_000);
    let started: { payload: unknown } | undefined;
    for await (const e of h.spine.subscribe({ types: ['run.started'], fromSeq: 1, signal: ac.signal })) {
      started = e;
      break;
    }
    clearTimeout(timer);
    resumedAt = Date.now();
    clock = 'running';
    expect(started?.payload).toMatchObject({ trigger: { kind: 'schedule' }, startedBy: 'scheduler', input: { scheduledFor: new Date(minute).toISOString() } });
    await new Promise((r) => setTimeout(r, 600));
    const runs = await h.spine.read({ after: 0, limit: 100, filter: { types: ['run.started'] } });
    expect(runs).toHaveLength(1);
  });
});
