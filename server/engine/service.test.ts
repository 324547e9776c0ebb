/**
 * runStatusOf: a run's status and what it waits on, derived from its folded state, structured
 * (`WaitingOn[]`, the run index's type), empty when the run is not waiting.
 */
import { describe, expect, it } from 'vitest';
import { approvalRequested, fanOutStarted, fold, links, nodeCompleted, runCompleted, runQueued, runStarted, stamp, taskDispatched, timerScheduled, T0, workflow } from '@/server/testing/given';
import { runStatusOf } from './service';

const wf = workflow({
  nodes: [
    { id: 'start', kind: 'trigger' }, { id: 'fan', kind: 'fanOut' }, { id: 'a', kind: 'agent', config: { agent: 'echo' } }, { id: 'gate', kind: 'approval', config: { role: 'approver' } },
    { id: 'pause', kind: 'delay', config: { mode: 'duration', durationMs: 1000 } }, { id: 'join', kind: 'join', config: { mode: 'all' } }, { id: 'done', kind: 'end', config: { outcome: 'success' } },
  ],
  edges: links(['start', 'fan'], ['fan', 'a'], ['fan', 'gate'], ['fan', 'pause'], ['a', 'join'], ['gate', 'join', 'approved'], ['pause', 'join'], ['join', 'done']),
});
const given = (...facts: Parameters<typeof stamp>[0]) => runStatusOf(fold(wf, stamp(facts)));

describe('runStatusOf', () => {
  it('given an agent at work, then the run is running and waits on nothing', () => {
    expect(given(runStarted(), nodeCompleted('start'), fanOutStarted('fan', ['a']), taskDispatched('a'))).toEqual({ status: 'running', waitingOn: [] });
  });

  it('given only an approval and a delay open, then the run is waiting on the approval and the timer, by node id', () => {
    expect(given(runStarted(), nodeCompleted('start'), fanOutStarted('fan', ['gate', 'pause']), approvalRequested('gate'), timerScheduled('delay:pause:0', 'delay', new Date(T0 + 1000).toISOString(), 'pause'))).toEqual({
      status: 'waiting', waitingOn: [{ kind: 'approval', id: 'gate' }, { kind: 'timer', id: 'pause' }],
    });
  });

  it('given a run queued behind its entity key, then it waits on the key', () => {
    expect(given(runStarted({ key: 'room:1' }), runQueued('room:1'))).toEqual({ status: 'waiting', waitingOn: [{ kind: 'key', id: 'room:1' }] });
  });

  it('given a run that ended, then it waits on nothing', () => {
    expect(given(runStarted(), runCompleted('done'))).toEqual({ status: 'completed', waitingOn: [] });
  });
});
