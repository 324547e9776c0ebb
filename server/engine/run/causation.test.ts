/**
 * Every engine decision names the recorded event it follows from (`causationId`), so a reasoning path can
 * follow the log instead of reconstructing causes from the workflow graph. Facts are stamped `ev-<seq>`.
 */
import { describe, expect, it } from 'vitest';
import {
  agentReturned, approvalRequested, links, nodeCompleted, nothingNew, runStarted, specFor, taskCompleted, taskDispatched, taskFailed, taskRetried,
  T0, timerFired, workflow,
} from '@/server/testing/given';

const iso = (ms: number) => new Date(ms).toISOString();

const agent = (id: string, config: Record<string, unknown> = {}) => ({ id, kind: 'agent' as const, config: { agent: id, ...config } });
const end = { id: 'done', kind: 'end' as const, config: { outcome: 'success' as const } };
const trigger = { id: 'start', kind: 'trigger' as const };

const chain = workflow({ nodes: [trigger, agent('a', { retry: { maxAttempts: 3, initialBackoffMs: 100, backoffMultiplier: 2, maxBackoffMs: 1_000, jitter: 0 } }), agent('b'), end], edges: links(['start', 'a'], ['a', 'b'], ['b', 'done']) });
const fan = workflow({
  nodes: [trigger, { id: 'fan', kind: 'fanOut' }, agent('x'), agent('y'), { id: 'join', kind: 'join', config: { mode: 'all' } }, end],
  edges: links(['start', 'fan'], ['fan', 'x'], ['fan', 'y'], ['x', 'join'], ['y', 'join'], ['join', 'done']),
});
const gated = workflow({ nodes: [trigger, { id: 'gate', kind: 'approval', config: { role: 'approver' } }, end], edges: links(['start', 'gate'], ['gate', 'done', 'approved']) });

describe('causation: each decision names the event it follows from', () => {
  it('the first node is caused by run.started, the next agent by the completion of the one before it', () => {
    const given = specFor(chain);
    expect(given(runStarted()).when(nothingNew).decisions[0]).toMatchObject({ type: 'node.completed', causationId: 'ev-1' });
    const o = given(runStarted(), nodeCompleted('start'), taskDispatched('a'), taskCompleted('a')).when(nothingNew);
    o.then([{ type: 'task.dispatched', payload: { nodeId: 'b' } }]);
    expect(o.decisions[0]!.causationId).toBe('ev-4');
  });

  it("an agent's result is caused by its task's dispatch", () => {
    const o = specFor(chain)(runStarted(), nodeCompleted('start'), taskDispatched('a')).when(agentReturned('a', { ok: true }));
    expect(o.decisions.map((d) => [d.type, d.causationId])).toEqual([['task.completed', 'ev-3']]);
  });

  it('a retry follows the failure, and the next attempt follows the retry timer firing', () => {
    const given = specFor(chain);
    const failed = [runStarted(), nodeCompleted('start'), taskDispatched('a'), taskFailed('a')];
    expect(given(...failed).when(nothingNew).decisions[0]).toMatchObject({ type: 'task.retried', causationId: 'ev-4' });
    const o = given(...failed, taskRetried('a', 1, iso(T0 + 100))).when(timerFired('retry:a:1'));
    o.then([{ type: 'task.dispatched', payload: { nodeId: 'a', attempt: 2 } }]);
    expect(o.decisions[0]!.causationId).toBe('ev-6');
  });

  it('a join is caused by the input that completed it, not the first one', () => {
    const o = specFor(fan)(runStarted(), nodeCompleted('start'), { type: 'fanout.started', payload: { nodeId: 'fan', branches: ['x', 'y'] } }, taskDispatched('x'), taskDispatched('y'), taskCompleted('y'), taskCompleted('x')).when(nothingNew);
    o.then([{ type: 'join.satisfied', payload: { nodeId: 'join' } }]);
    expect(o.decisions[0]!.causationId).toBe('ev-7');
  });

  it('a late duplicate result moves no cause', () => {
    const history = [runStarted(), nodeCompleted('start'), taskDispatched('a'), taskCompleted('a'), taskCompleted('a')];
    const s = specFor(chain)(...history).state;
    expect(s.nodes.a!.causeId).toBe('ev-4');
    expect(s.nodes.b!.causeId).toBe('ev-4');
  });

  it('an approval request is caused by what reached the gate', () => {
    const o = specFor(gated)(runStarted(), nodeCompleted('start')).when(nothingNew);
    expect(o.decisions[0]).toMatchObject({ type: 'approval.requested', causationId: 'ev-2' });
    const after = specFor(gated)(runStarted(), nodeCompleted('start'), approvalRequested('gate')).state;
    expect(after.nodes.gate!.causeId).toBe('ev-3');
  });
});
