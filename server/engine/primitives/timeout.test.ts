/**
 * timeout (the run's deadline) in domain words: a deadline is a durable timer scheduled when the run
 * starts; when it fires before the run has finished, the run fails; after the run has ended it does nothing.
 */
import { describe, it } from 'vitest';
import { links, nodeCompleted, nothingNew, runCompleted, runStarted, specFor, T0, taskCompleted, taskDispatched, timerFired, timerScheduled, workflow } from '@/server/testing/given';

const RETRY = { maxAttempts: 3, initialBackoffMs: 100, backoffMultiplier: 2, maxBackoffMs: 10_000, jitter: 0.5 };
/** start → a (3 attempts) → done */
const wf = workflow({
  nodes: [{ id: 'start', kind: 'trigger' }, { id: 'a', kind: 'agent', label: 'Label', config: { agent: 'a', retry: RETRY } }, { id: 'done', kind: 'end', config: { outcome: 'success' } }],
  edges: links(['start', 'a'], ['a', 'done']),
});

describe('deadline: a durable timer that fails a run still running when it fires', () => {
  const deadline = new Date(T0 + 30_000).toISOString();

  it('a deadline is a durable timer scheduled at start; when it fires first, the run fails', () => {
    const given = specFor(wf);
    given().when(runStarted({ deadline })).then([{ type: 'timer.scheduled', payload: { timerId: 'deadline:-:0', purpose: 'deadline', dueAt: deadline, nodeId: null } }, { type: 'node.completed' }]);
    const running = [runStarted({ deadline }), timerScheduled('deadline:-:0', 'deadline', deadline), nodeCompleted('start'), taskDispatched('a')];
    given(...running).when(nothingNew).thenNothing();
    given(...running).when(timerFired('deadline:-:0')).then([{ type: 'run.failed', payload: { code: 'run.deadline_exceeded', reason: `The run's deadline ${deadline} passed before it finished` } }]);
    given(...running, taskCompleted('a'), runCompleted('done')).when(timerFired('deadline:-:0')).thenNothing();
  });
});
