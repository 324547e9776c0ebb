/**
 * decide: given a run's committed state, the events that move it forward. Pure: the clock, randomness and
 * the entity-key lock come in through the context, and every event it returns carries a deterministic
 * idempotency key, so deciding twice on the same state appends once.
 *
 * decide is level-triggered: it looks at the whole state, not at "the event that just happened". After a
 * crash the engine folds each run's history and calls decide, which re-issues exactly what is missing.
 *
 * After the workflow's own nodes, each running map fan-out's items are decided: the nodes of every item in
 * flight, then the items that may start now, each with its first steps (decided on the state as if the
 * starts had committed, so one round both starts an item and dispatches its first agent).
 */
import type { AgentNode, WorkflowNode } from '@/server/workflows/schema';
import { assertNever } from '@/server/errors';
import type { Decision, RunEvent } from '../events';
import { instanceId } from '../ids';
import { requestApproval, onLapse } from '../primitives/approval';
import { decision, failRun, type DecideContext } from './decideContext';
import { startDelay } from '../primitives/delay';
import { finish } from '../primitives/end';
import { startFanOut, startItems } from '../primitives/fanOut';
import { dispatch } from '../primitives/handoff';
import { decideJoin } from '../primitives/join';
import { onFailure } from '../primitives/retry';
import { chooseRoute } from '../primitives/router';
import { setContext } from '../primitives/setContext';
import { decideDeadline } from '../primitives/timeout';
import { ENGINE_SOURCE } from '@/server/spine/events';
import { applyEvent, type RunState } from './evolve';

export type { DecideContext };

export function decide(c: DecideContext): Decision[] {
  const s = c.state;
  if (s.status !== 'running') return [];
  if (s.gate !== 'open') {
    // A run that released its key is back in line only once it has work again (the approval decided, the delay over).
    if (s.gate === 'released' && !wantsKey(c)) return [];
    if (c.holdsKey) return [decision(c, 'run.key_acquired', { key: s.key! }, 'key', ...keyTurn(s))];
    return s.gate === 'queued' ? [] : [decision(c, 'run.queued', { key: s.key!, behind: c.keyHolder ?? '' }, 'queued', ...keyTurn(s))];
  }
  const deadline = decideDeadline(c);
  if (deadline.some((d) => d.type === 'run.failed')) return deadline;
  const out: Decision[] = [...deadline];
  const take = (produced: Decision[]): Decision | undefined => {
    for (const d of produced) {
      if (d.type === 'run.failed' || d.type === 'run.completed') return d;
      out.push(d);
    }
    return undefined;
  };
  for (const id of c.wf.order) {
    const end = take(decideNode(c, c.wf.nodes.get(id)!));
    if (end) return [end];
  }
  for (const [fanOutId, body] of c.wf.maps) {
    const m = c.state.maps?.[fanOutId];
    if (!m || m.closed) continue;
    for (let i = 0; i < m.started; i++) {
      if (m.status[i] !== 'running') continue;
      for (const id of body.nodes) {
        const end = take(decideNode(c, c.wf.nodes.get(instanceId(id, i))!));
        if (end) return [end];
      }
    }
    const starts = startItems(c, fanOutId);
    if (starts.length === 0) continue;
    out.push(...starts);
    const ahead = { ...c, state: withMapCopied(c.state, fanOutId) };
    const time = new Date(c.now).toISOString();
    for (const d of starts) applyEvent(c.wf, ahead.state, { type: d.type, payload: d.payload, seq: c.state.lastSeq, time, envelopeVersion: null, source: ENGINE_SOURCE } as RunEvent);
    for (const d of starts) {
      const i = (d.payload as { index: number }).index;
      const end = take(body.nodes.flatMap((id) => decideNode(ahead, c.wf.nodes.get(instanceId(id, i))!)));
      if (end) return [end];
    }
  }
  if (out.length === 0 && isStuck(c)) return [failRun(c, 'run.stuck', 'No node can make progress: every branch ended without reaching an end node')];
  if (out.length === 0) return releaseKey(c);
  return out;
}

/**
 * key hold `working`: a run whose only open steps wait on people or a delay (no agent at work, no retry
 * pending) lets the next run on its key go first. `run`: it holds the key until it ends.
 */
function releaseKey(c: DecideContext): Decision[] {
  const s = c.state;
  if (!s.key || keyHoldOf(c) !== 'working') return [];
  const waitingOn: string[] = [];
  for (const [id, n] of Object.entries(s.nodes)) {
    if (n.status === 'running') return [];
    if (n.status !== 'waiting') continue;
    const kind = c.wf.nodes.get(id)?.kind;
    if (kind !== 'approval' && kind !== 'delay') return [];
    waitingOn.push(id);
  }
  if (waitingOn.length === 0) return [];
  return [decision(c, 'run.key_released', { key: s.key, waitingOn }, 'released', (s.keyReleases ?? 0) + 1)];
}

/** Whether a run that released its key would take a step if it held it again. */
export function wantsKey(c: DecideContext): boolean {
  if (c.state.gate !== 'released') return false;
  const open: DecideContext = { ...c, state: { ...c.state, gate: 'open' } };
  return decide(open).some((d) => d.type !== 'run.key_released');
}

function keyHoldOf(c: DecideContext): 'working' | 'run' {
  const trigger = c.wf.doc.nodes.find((n) => n.kind === 'trigger');
  return trigger?.kind === 'trigger' ? (trigger.config.keyHold ?? 'working') : 'working';
}

/** Each time a run lines up for its key again after releasing it, its key decisions are keyed by that turn. */
function keyTurn(s: DecideContext['state']): string[] {
  return s.keyReleases ? [`t${s.keyReleases}`] : [];
}

function decideNode(c: DecideContext, node: WorkflowNode): Decision[] {
  const ns = c.state.nodes[node.id];
  if (!ns) return [];
  if (node.kind === 'agent' && ns.status === 'running') {
    if (ns.failure) return onFailure(c, node, ns);
    if (ns.redispatch) return dispatch(c, node, ns.attempt + 1);
    return [];
  }
  if (node.kind === 'approval' && ns.status === 'waiting' && ns.lapsed) return onLapse(c, node);
  if (node.kind === 'join') return decideJoin(c, node);
  if (ns.status !== 'pending' || !isReady(c, node)) return [];
  switch (node.kind) {
    case 'trigger':
      return [decision(c, 'node.completed', { nodeId: node.id }, node.id)];
    case 'agent':
      return dispatch(c, node as AgentNode, 1);
    case 'fanOut':
      return startFanOut(c, node);
    case 'router':
      return chooseRoute(c, node);
    case 'approval':
      return requestApproval(c, node);
    case 'delay':
      return startDelay(c, node);
    case 'setContext':
      return setContext(c, node);
    case 'end':
      return finish(c, node);
    default:
      return assertNever(node);
  }
}

/** A non-join node is ready when an edge into it was taken (the trigger: at once). */
function isReady(c: DecideContext, node: WorkflowNode): boolean {
  const incoming = c.wf.in.get(node.id) ?? [];
  if (incoming.length === 0) return node.kind === 'trigger';
  return incoming.some((e) => c.state.edges[e.id] === 'taken');
}

function isStuck(c: DecideContext): boolean {
  const s = c.state;
  if (Object.keys(s.timers).length > 0) return false;
  return !Object.values(s.nodes).some((n) => n.status === 'running' || n.status === 'waiting');
}

/**
 * A view of the state that applying `fanout.item_started` to cannot change the original through: the map's
 * record is copied, and the node and edge tables are layered over the originals (reads fall through, writes
 * stay in the view). Copying those tables, or the whole state, for hundreds of items would cost more than
 * the decision. Only the primitives' lookups read the view, never an iteration over its tables.
 */
function withMapCopied(s: RunState, fanOutId: string): RunState {
  const m = s.maps![fanOutId]!;
  const over = <T extends object>(o: T): T => Object.create(o) as T;
  return { ...s, nodes: over(s.nodes), edges: over(s.edges), maps: { ...s.maps, [fanOutId]: { ...m, status: [...m.status], outputs: [...m.outputs], results: { ...m.results } } } };
}
