/**
 * The run index's `waiting_on` column: what a run waits on is stored as a JSON array of `WaitingOn` and
 * read back structured; the `"<kind> <id>"` strings older databases hold read the same way.
 */
import { describe, expect, it } from 'vitest';
import { evolveRunIndex, waitingOnFromColumn, waitingOnToColumn } from './runIndex';

const started = evolveRunIndex(undefined, { type: 'run.started', runId: 'r1', key: 'room:1', payload: { workflowId: 'wf', version: 1 }, seq: 1, timeMs: 0 })!;
const next = (type: string, payload: Record<string, string> = {}) => evolveRunIndex(started, { type, runId: 'r1', key: 'room:1', payload, seq: 2, timeMs: 1 });

describe('run index: waiting on', () => {
  it('given an approval requested, a delay scheduled or a queued run, then the index waits on the node or the key', () => {
    expect(next('approval.requested', { nodeId: 'gate' })?.waitingOn).toEqual([{ kind: 'approval', id: 'gate' }]);
    expect(next('timer.scheduled', { nodeId: 'pause', purpose: 'delay' })?.waitingOn).toEqual([{ kind: 'timer', id: 'pause' }]);
    expect(next('run.queued')?.waitingOn).toEqual([{ kind: 'key', id: 'room:1' }]);
    expect(started.waitingOn).toEqual([]);
  });

  it('stores the waits as a JSON array, and nothing as NULL', () => {
    expect(waitingOnToColumn([{ kind: 'approval', id: 'gate' }])).toBe('[{"kind":"approval","id":"gate"}]');
    expect(waitingOnToColumn([])).toBeNull();
    expect(waitingOnFromColumn(waitingOnToColumn([{ kind: 'timer', id: 'pause' }]))).toEqual([{ kind: 'timer', id: 'pause' }]);
  });

  it('reads the strings older databases hold', () => {
    expect(waitingOnFromColumn('approval gate')).toEqual([{ kind: 'approval', id: 'gate' }]);
    expect(waitingOnFromColumn('key room 1')).toEqual([{ kind: 'key', id: 'room 1' }]);
    expect(waitingOnFromColumn('timer')).toEqual([{ kind: 'timer', id: '' }]);
    expect(waitingOnFromColumn(null)).toEqual([]);
  });

  it('reads anything else as waiting on nothing', () => {
    expect(waitingOnFromColumn('something else')).toEqual([]);
    expect(waitingOnFromColumn('[not json')).toEqual([]);
    expect(waitingOnFromColumn('[{"kind":"moon","id":"x"}]')).toEqual([]);
  });
});
