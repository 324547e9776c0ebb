/**
 * How long a run holds its entity key. Default `working`: a run waiting on a person (or a delay) lets the
 * next run on its key go first, and takes the key back in its turn once it has work again; `run`: it holds
 * the key until it ends. Issue: the demo piled 111 bookings behind legal cases waiting 24 h for a partner.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { openHarness, publishDocument, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

/** start → hold (approval) → work (echo) → done. */
const gated = (keyHold: 'working' | 'run'): WorkflowDocument =>
  ({
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual', keyHold } },
      { id: 'hold', kind: 'approval', label: 'Partner review', position: { x: 1, y: 0 }, config: {} },
      { id: 'work', kind: 'agent', label: 'Work', position: { x: 2, y: 0 }, config: { agent: 'echo' } },
      { id: 'done', kind: 'end', label: 'Done', position: { x: 3, y: 0 }, config: { outcome: 'success' } },
      { id: 'refused', kind: 'end', label: 'Refused', position: { x: 3, y: 1 }, config: { outcome: 'failure' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'hold' },
      { id: 'e2', source: 'hold', sourceHandle: 'approved', target: 'work' },
      { id: 'e3', source: 'hold', sourceHandle: 'rejected', target: 'refused' },
      { id: 'e4', source: 'work', target: 'done' },
    ],
  }) as WorkflowDocument;

/** start → work (echo) → done: a quick run on the same key. */
const quick: WorkflowDocument = {
  formatVersion: 1,
  nodes: [
    { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
    { id: 'work', kind: 'agent', label: 'Work', position: { x: 1, y: 0 }, config: { agent: 'echo' } },
    { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success' } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'work' }, { id: 'e2', source: 'work', target: 'done' }],
} as WorkflowDocument;

const types = (events: SpineEvent[]) => events.map((e) => e.type);

describe(`entity key hold (${testDbKind()})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const publish = (name: string, doc: WorkflowDocument) => publishDocument(h!, name, doc);
  const approve = async (runId: string) => {
    const asked = await waitForEvent(h!.spine, runId, (e) => e.type === 'approval.requested');
    await h!.service.decideApproval((asked.payload as { approvalId: string }).approvalId, { decision: 'approve' }, { name: 'paula' });
  };

  it('working (default): runs behind one waiting on a person go ahead; it takes the key back in its turn after the decision', async () => {
    h = await openHarness();
    const slow = await publish('Needs review', gated('working'));
    const fast = await publish('Quick', quick);
    const a = await h.service.startRun(slow, { input: {}, key: 'case:1' }, 'tom');
    const released = await waitForEvent(h.spine, a.runId, (e) => e.type === 'run.key_released');
    expect(released.payload).toEqual({ key: 'case:1', waitingOn: ['hold'] });
    // Three later runs on the key are not held up by the review.
    const later = await Promise.all([1, 2, 3].map(() => h!.service.startRun(fast, { input: {}, key: 'case:1' }, 'tom')));
    for (const r of later) expect((await waitForRun(h.spine, r.runId)).at(-1)!.type).toBe('run.completed');
    expect((await h.service.getRun(a.runId)).status).toBe('waiting');

    // A later run waits on its own review when A's decision comes: it has let the key go too, so A takes it back.
    const b = await h.service.startRun(slow, { input: {}, key: 'case:1' }, 'tom');
    await waitForEvent(h.spine, b.runId, (e) => e.type === 'run.key_released');
    await approve(a.runId);
    const aEvents = await waitForRun(h.spine, a.runId);
    expect(types(aEvents)).toEqual(expect.arrayContaining(['run.key_released', 'run.key_acquired', 'run.completed']));
    const reacquired = aEvents.filter((e) => e.type === 'run.key_acquired');
    expect(reacquired.length).toBe(2);
    expect(aEvents.findIndex((e) => e.type === 'approval.decided')).toBeLessThan(aEvents.lastIndexOf(reacquired.at(-1)!));
    expect(aEvents.find((e) => e.type === 'task.dispatched')!.seq).toBeGreaterThan(reacquired.at(-1)!.seq);
    await approve(b.runId);
    expect((await waitForRun(h.spine, b.runId)).at(-1)!.type).toBe('run.completed');
  });

  it('run: a run waiting on a person holds its key; the next run waits behind it, named in run.queued', async () => {
    h = await openHarness();
    const slow = await publish('Holds the key', gated('run'));
    const fast = await publish('Quick', quick);
    const a = await h.service.startRun(slow, { input: {}, key: 'room:7' }, 'tom');
    await waitForEvent(h.spine, a.runId, (e) => e.type === 'approval.requested');
    const b = await h.service.startRun(fast, { input: {}, key: 'room:7' }, 'tom');
    const queued = await waitForEvent(h.spine, b.runId, (e) => e.type === 'run.queued');
    expect(queued.payload).toEqual({ key: 'room:7', behind: a.runId });
    expect((await h.spine.read({ after: 0, limit: 100, filter: { runId: a.runId, types: ['run.key_released'] } }))).toEqual([]);
    await approve(a.runId);
    const aEnd = (await waitForRun(h.spine, a.runId)).at(-1)!;
    const bEvents = await waitForRun(h.spine, b.runId);
    expect(bEvents.find((e) => e.type === 'task.dispatched')!.seq).toBeGreaterThan(aEnd.seq);
  });

  it('a restart while a run has released its key keeps the line: the waiting run does not block the key, and resumes after its decision', async () => {
    h = await openHarness();
    const slow = await publish('Needs review', gated('working'));
    const fast = await publish('Quick', quick);
    const a = await h.service.startRun(slow, { input: {}, key: 'case:9' }, 'tom');
    await waitForEvent(h.spine, a.runId, (e) => e.type === 'run.key_released');
    const url = h.url;
    await h.close();
    h = await openHarness({ url, seed: false });
    const b = await h.service.startRun(fast, { input: {}, key: 'case:9' }, 'tom');
    expect((await waitForRun(h.spine, b.runId)).at(-1)!.type).toBe('run.completed');
    await approve(a.runId);
    expect((await waitForRun(h.spine, a.runId)).at(-1)!.type).toBe('run.completed');
  });
});
