/**
 * The runs router's comparison on the selected database, through the real router (createCaller): any
 * signed-in person gets the engine's comparison of two runs (a run and its fork with another input, which
 * diverge at the first agent), with the steps' labels; an unknown run is NOT_FOUND.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { Actor } from '@/server/auth/roles';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(() => h.close());

const auditor: Actor = { kind: 'user', id: 'aude', name: 'aude', roles: ['auditor'] };

describe(`runs router: compare (${testDbKind()})`, () => {
  it('runs.compare answers a signed-in person the engine comparison; an unknown run is NOT_FOUND', async () => {
    const origin = await h.service.startRun('translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' } }, 'tom');
    const events = await waitForRun(h.spine, origin.runId);
    const fork = await h.service.forkRun(origin.runId, { atSeq: events[0]!.seq, input: { text: 'I will kill you' } }, 'ann');
    await waitForRun(h.spine, fork.runId);
    const caller = createCaller(createContextInner({ actor: auditor, services: { spine: h.spine, engine: h.service } }));
    const c = await caller.runs.compare({ a: origin.runId, b: fork.runId });
    expect(c).toEqual(await h.service.compareRuns(origin.runId, fork.runId));
    expect(c.divergence).toEqual({ nodeId: 'sentiment', label: 'Sentiment analysis', differences: ['output'] });
    expect(c.labels).toMatchObject({ sentiment: 'Sentiment analysis', rejected: 'Rejected as inappropriate' });
    await expect(caller.runs.compare({ a: origin.runId, b: 'no-such-run' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
