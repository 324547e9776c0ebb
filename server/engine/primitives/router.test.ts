/**
 * router in domain words: it records its choice once, from the results, and the branches it did not take
 * are skipped all the way down (dead-path elimination), so a join behind them waits only for the live one.
 */
import { describe, expect, it } from 'vitest';
import { joinSatisfied, links, nodeCompleted, nothingNew, routeChosen, runStarted, settle, specFor, taskCompleted, taskDispatched, workflow } from '@/server/testing/given';

const agent = (id: string) => ({ id, kind: 'agent' as const, config: { agent: id } });
const end = (id: string) => ({ id, kind: 'end' as const, config: { outcome: 'success' as const } });
const trigger = { id: 'start', kind: 'trigger' as const };

/** start → check → risk: high → h1 → h2 → merge(any); default → d1 → d2 → merge; merge → done. */
const routed = workflow({
  nodes: [
    trigger, agent('check'),
    { id: 'risk', kind: 'router', config: { routes: [{ id: 'high', condition: 'results.check.risk == "high"' }, { id: 'vip', condition: 'has(input.vip) && input.vip == true' }] } },
    agent('h1'), agent('h2'), agent('d1'), agent('d2'), end('vip-desk'),
    { id: 'merge', kind: 'join', config: { mode: 'any' } }, end('done'),
  ],
  edges: links(['start', 'check'], ['check', 'risk'], ['risk', 'h1', 'high'], ['h1', 'h2'], ['risk', 'vip-desk', 'vip'], ['risk', 'd1', 'default'], ['d1', 'd2'], ['h2', 'merge'], ['d2', 'merge'], ['merge', 'done']),
});

describe('dead paths: after a router, untaken branches are skipped all the way down', () => {
  const given = specFor(routed);
  const checked = [runStarted(), nodeCompleted('start'), taskDispatched('check'), taskCompleted('check', { risk: 'high' })];

  it('the router records its choice once, from the results', () => {
    given(...checked).when(nothingNew).then([{ type: 'route.chosen', payload: { nodeId: 'risk', routeId: 'high', target: 'h1' } }]);
  });

  it('the other branches and the ends behind them are skipped; the join waits only for the live branch', () => {
    const { state } = given(...checked, routeChosen('risk', 'high'));
    expect(state.nodes).toMatchObject({ d1: { status: 'skipped' }, d2: { status: 'skipped' }, 'vip-desk': { status: 'skipped' }, h1: { status: 'pending' }, merge: { status: 'pending' } });
    expect(state.edges).toMatchObject({ 'd2-default-merge': 'skipped', 'risk-default-d1': 'skipped', 'risk-high-h1': 'taken' });
    given(...checked, routeChosen('risk', 'high')).when(nothingNew).then([{ type: 'task.dispatched', payload: { nodeId: 'h1', attempt: 1 } }]);
    given(...checked, routeChosen('risk', 'high'), taskDispatched('h1'), taskCompleted('h1'), taskDispatched('h2'))
      .when(taskCompleted('h2'))
      .then([joinSatisfied('merge', ['h2'])]);
  });

  it('the default branch is taken when no route holds, and the run completes without ever dispatching the others', () => {
    const { decisions, state } = settle(routed, [runStarted(), nodeCompleted('start'), taskDispatched('check'), taskCompleted('check', { risk: 'low' })]);
    expect(decisions.map((d) => d.type)).toEqual(['route.chosen', 'task.dispatched']);
    expect(decisions[1]!.payload).toMatchObject({ nodeId: 'd1' });
    expect(state.nodes).toMatchObject({ h1: { status: 'skipped' }, h2: { status: 'skipped' }, 'vip-desk': { status: 'skipped' } });
  });

  it('a route to an end finishes the run there', () => {
    const { decisions } = settle(routed, [runStarted({ input: { vip: true } }), nodeCompleted('start'), taskDispatched('check'), taskCompleted('check', { risk: 'low' })]);
    expect(decisions.map((d) => [d.type, d.payload])).toEqual([
      ['route.chosen', { nodeId: 'risk', routeId: 'vip', target: 'vip-desk' }],
      ['run.completed', { output: { check: { risk: 'low' } }, endNodeId: 'vip-desk' }],
    ]);
  });

  it('a join whose every input is dead is skipped too (and so is what follows it)', () => {
    const wf = workflow({
      nodes: [trigger, { id: 'r', kind: 'router', config: { routes: [{ id: 'x', condition: 'false' }] } }, { id: 'fan', kind: 'fanOut' }, agent('a'), agent('b'), { id: 'j', kind: 'join' }, agent('after'), end('skipped-end'), end('other')],
      edges: links(['start', 'r'], ['r', 'fan', 'x'], ['r', 'other', 'default'], ['fan', 'a'], ['fan', 'b'], ['a', 'j'], ['b', 'j'], ['j', 'after'], ['after', 'skipped-end']),
    });
    const { state } = specFor(wf)(runStarted(), nodeCompleted('start'), routeChosen('r', 'default'));
    expect(Object.fromEntries(['fan', 'a', 'b', 'j', 'after', 'skipped-end'].map((id) => [id, state.nodes[id]!.status]))).toEqual({ fan: 'skipped', a: 'skipped', b: 'skipped', j: 'skipped', after: 'skipped', 'skipped-end': 'skipped' });
  });
});
