import { describe, expect, it } from 'vitest';
import type { Spine, SpineEvent } from '@/server/spine';
import type { WorkflowStore } from '@/server/workflows';
import { Triggers, type EventTrigger } from './triggers';

const opened = (seq: number): SpineEvent => ({ seq, id: `e${seq}`, type: 'case.opened', key: `case:${seq}`, payload: { facts: 'x' }, source: { kind: 'api', name: 'tom' }, time: new Date(0).toISOString(), runId: null, causationId: null, envelopeVersion: null, idempotencyKey: null, hash: '', prevHash: '' }) as unknown as SpineEvent;

/** Triggers over a workflow table as it is *now* (`rows`), recording which events start a run. */
function triggersOver(rows: EventTrigger[]) {
  const started: number[] = [];
  const triggers = new Triggers({
    spine: {} as Spine,
    workflows: { eventTriggers: async () => rows } as unknown as WorkflowStore,
    startRun: async (req) => void started.push(req.trigger!.eventSeq!),
    stopping: () => false,
    settled: () => {},
  });
  return { triggers, started };
}

const legal: EventTrigger = { workflowId: 'w1', slug: 'legal', version: 1, eventType: 'case.opened', archived: false };

describe('event triggers follow archive events in log order, not the table as it is now', () => {
  it('given a workflow archived and restored since, an event routed between the two starts nothing', async () => {
    const { triggers, started } = triggersOver([legal]); // the table already says: restored
    await triggers.refresh();
    triggers.setArchived('w1', true); // workflow.archived reached the engine
    triggers.route(opened(5));
    triggers.setArchived('w1', false); // workflow.restored
    triggers.route(opened(7));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([7]);
  });

  it('given no archive event routed yet, the table decides (archived: nothing starts); a restore event turns the trigger on', async () => {
    const { triggers, started } = triggersOver([{ ...legal, archived: true }]);
    await triggers.refresh();
    triggers.route(opened(3));
    triggers.setArchived('w1', false);
    triggers.route(opened(4));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([4]);
  });
});
