/**
 * evolve: folds one run event into a RunState. Deterministic and free of I/O, clocks and randomness:
 * every time, version and choice it needs is in the event. The same history always folds to the same
 * state (run/evolve.test.ts checks it, and recorded histories in __fixtures__ must fold to their
 * snapshots).
 *
 * Edge bookkeeping lives here: when a node completes, its outgoing edges are marked taken or skipped by
 * the handle it completed with, and a node whose every incoming edge is skipped is itself skipped, and so
 * on downstream (dead-path elimination). Which pending node is ready is then decide's question.
 */
import { applyMergePatch } from '@/server/spine/envelope';
import { isEngineSource } from '@/server/spine/events';
import type { Json } from '@/server/spine';
import { assertNever } from '@/server/errors';
import type { RunEvent } from '../events';
import { edgeHandle, type CompiledWorkflow } from '../graph';

export const NODE_STATUSES = ['pending', 'running', 'waiting', 'done', 'failed', 'skipped'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export type NodeState = {
  status: NodeStatus;
  /** Current (or last) attempt number; 0 before the first dispatch. */
  attempt: number;
  /** Envelope version the current attempt was decided on (its input was mapped from it). */
  dispatchedVersion?: number;
  /** Last seq of the committed state the current attempt was decided on: a later outside change makes it stale. */
  dispatchBasisSeq?: number;
  dispatchedAt?: string;
  /** The task.dispatched event of the current attempt. */
  dispatchSeq?: number;
  dispatchId?: string;
  /** A failure decide has not yet turned into a retry, an error edge or a run failure. */
  failure?: { error: string; retryable: boolean; retryAfterMs?: number };
  /** The next attempt is due (retry timer fired, stale rerun, manual retry). */
  redispatch?: boolean;
  output?: Json;
  error?: string;
  handle?: string;
  startedAt?: string;
  endedAt?: string;
  timedOut?: boolean;
  lapsed?: boolean;
  /**
   * The event that moved this node last: what took the edge into it, then its own progress (dispatch,
   * result, decision, timer). A decision about the node names it as its cause (`causationId`).
   */
  causeId?: string;
};

export type Approval = {
  nodeId: string;
  role: string;
  requiredApprovals: number;
  allowRequester: boolean;
  dueAt: string | null;
  status: 'pending' | 'approved' | 'rejected';
  decisions: { actor: string; decision: 'approve' | 'reject'; comment?: string; auto?: boolean; at: string }[];
};

export type RunState = {
  runId: string;
  workflowId: string;
  slug: string;
  version: number;
  key: string | null;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  /**
   * Entity-key gate: `pending` until decide acquires or queues on the key; `open` while the run holds it
   * (or has no key); `released` while it waits on a person or a delay and lets others use the key.
   */
  gate: 'open' | 'pending' | 'queued' | 'released';
  /** The run a queued run waits behind (from its latest run.queued). */
  queuedBehind?: string;
  /** How often the run released its key (key hold `working`). */
  keyReleases?: number;
  startedBy: string;
  input: Json;
  intent: string | null;
  constraints: Record<string, Json>;
  deadline: string | null;
  deadlinePassed: boolean;
  /** Mirror of the envelope state, for expressions. */
  state: Record<string, Json>;
  envelopeVersion: number;
  /** Envelope version of the latest change not made by this run's own nodes (shown in task.stale). */
  externalPatchVersion: number;
  /** Seq of that change (drives staleness: compared with each dispatch's basis). */
  externalPatchSeq: number;
  nodes: Record<string, NodeState>;
  edges: Record<string, 'taken' | 'skipped'>;
  results: Record<string, Json>;
  timers: Record<string, { dueAt: string; purpose: string; nodeId: string | null; scheduledBy?: string }>;
  approvals: Record<string, Approval>;
  output: Json | null;
  error: { reason: string; code: string; nodeId?: string } | null;
  startedSeq: number;
  /**
   * Where the run stands in its entity key's line: the seq it joined at (its start, or its last reopening).
   * Runs on one key take turns in this order.
   */
  keySeq: number;
  /** How often the run was reopened; decisions of a later life get idempotency keys of their own. */
  reopened: number;
  lastSeq: number;
  /** Id of the newest event folded in: the cause of a decision that no single node explains. */
  lastEventId: string | null;
  startedAt: string;
  endedAt: string | null;
};

/** The state before any event: only meaningful once run.started is folded in. */
export function initialState(runId: string): RunState {
  return {
    runId, workflowId: '', slug: '', version: 0, key: null, status: 'running', gate: 'pending', startedBy: '', input: null, intent: null,
    constraints: {}, deadline: null, deadlinePassed: false, state: {}, envelopeVersion: 0, externalPatchVersion: 0, externalPatchSeq: 0, nodes: {}, edges: {},
    results: {}, timers: {}, approvals: {}, output: null, error: null, startedSeq: 0, keySeq: 0, reopened: 0, lastSeq: 0, lastEventId: null, startedAt: '', endedAt: null,
  };
}

/** Pure fold step: returns a new state. */
export function evolve(wf: CompiledWorkflow, state: RunState, event: RunEvent & { key?: string | null }): RunState {
  const next = structuredClone(state);
  applyEvent(wf, next, event);
  return next;
}

/** Events that do not move their node on (a timer being set, a context write): they cause nothing about it. */
const NOT_NODE_PROGRESS = new Set<string>(['timer.scheduled', 'context.patched']);

/**
 * The same fold step, in place (the engine owns its state and clones once per step). Besides the state it
 * keeps who caused what: the event's id becomes the cause of the node it moved and of the nodes whose
 * incoming edge it took (see NodeState.causeId).
 */
export function applyEvent(wf: CompiledWorkflow, s: RunState, e: RunEvent & { key?: string | null }): void {
  if (!e.id) return fold(wf, s, e);
  const p = e.payload as { nodeId?: unknown; timerId?: unknown };
  const nodeId = e.type === 'timer.fired' ? s.timers[String(p.timerId)]?.nodeId : typeof p.nodeId === 'string' ? p.nodeId : undefined;
  s.lastEventId = e.id;
  const tracked = nodeId && !NOT_NODE_PROGRESS.has(e.type) ? s.nodes[nodeId] : undefined;
  // Only an event that changed the node moves its cause (a late duplicate result changes nothing).
  const before = tracked && JSON.stringify(tracked);
  fold(wf, s, e);
  const n = nodeId ? s.nodes[nodeId] : undefined;
  if (n && !NOT_NODE_PROGRESS.has(e.type) && (n !== tracked || JSON.stringify(n) !== before)) n.causeId = e.id;
}

function fold(wf: CompiledWorkflow, s: RunState, e: RunEvent & { key?: string | null }): void {
  s.lastSeq = Math.max(s.lastSeq, e.seq);
  if (e.envelopeVersion !== null && e.envelopeVersion > s.envelopeVersion) s.envelopeVersion = e.envelopeVersion;
  const node = (id: string): NodeState => (s.nodes[id] ??= { status: 'pending', attempt: 0 });
  switch (e.type) {
    case 'run.started': {
      const p = e.payload;
      Object.assign(s, {
        workflowId: p.workflowId, slug: p.workflowSlug, version: p.version, key: e.key ?? null, startedBy: p.startedBy, input: p.input,
        intent: p.intent ?? null, constraints: p.constraints ?? {}, deadline: p.deadline ?? null, state: p.state ?? {},
        gate: e.key ? 'pending' : 'open', startedSeq: e.seq, keySeq: e.seq, startedAt: e.time,
      });
      for (const id of wf.nodes.keys()) s.nodes[id] = { status: 'pending', attempt: 0 };
      return;
    }
    case 'run.queued':
      s.gate = 'queued';
      if (e.payload.behind) s.queuedBehind = e.payload.behind;
      return;
    case 'run.key_acquired':
      s.gate = 'open';
      delete s.queuedBehind;
      return;
    case 'run.key_released':
      if (s.gate !== 'open') return;
      s.gate = 'released';
      s.keyReleases = (s.keyReleases ?? 0) + 1;
      return;
    case 'node.completed':
      complete(wf, s, e.payload.nodeId, e.payload.handle ?? 'default', e.time);
      return;
    case 'node.skipped':
      skip(wf, s, e.payload.nodeId);
      return;
    case 'fanout.started':
      complete(wf, s, e.payload.nodeId, 'default', e.time);
      return;
    case 'task.dispatched': {
      const n = node(e.payload.nodeId);
      n.status = 'running';
      n.attempt = e.payload.attempt;
      n.dispatchedVersion = e.payload.basedOnVersion ?? e.envelopeVersion ?? s.envelopeVersion;
      n.dispatchBasisSeq = e.payload.basedOnSeq ?? e.seq;
      n.dispatchedAt = e.time;
      n.dispatchSeq = e.seq;
      if (e.id) n.dispatchId = e.id;
      n.startedAt ??= e.time;
      n.redispatch = false;
      n.failure = undefined;
      return;
    }
    case 'task.completed': {
      const n = node(e.payload.nodeId);
      if (n.status !== 'running' || n.attempt !== e.payload.attempt) return;
      n.output = e.payload.output;
      s.results[e.payload.nodeId] = e.payload.output;
      complete(wf, s, e.payload.nodeId, 'default', e.time);
      return;
    }
    case 'task.failed': {
      const n = node(e.payload.nodeId);
      if (n.status !== 'running' || n.attempt !== e.payload.attempt) return;
      n.error = e.payload.error;
      n.failure = { error: e.payload.error, retryable: e.payload.retryable, ...(e.payload.retryAfterMs !== undefined && { retryAfterMs: e.payload.retryAfterMs }) };
      return;
    }
    case 'task.retried': {
      const n = node(e.payload.nodeId);
      n.failure = undefined;
      if (e.payload.manual) {
        n.status = 'running';
        n.redispatch = true;
        n.error = undefined;
        return;
      }
      n.status = 'waiting';
      s.timers[e.payload.timerId] = { dueAt: e.payload.dueAt, purpose: 'retry', nodeId: e.payload.nodeId, ...(e.id && { scheduledBy: e.id }) };
      return;
    }
    case 'task.stale': {
      const n = node(e.payload.nodeId);
      if (e.payload.policy === 'rerun') n.redispatch = true;
      return;
    }
    case 'join.satisfied':
      complete(wf, s, e.payload.nodeId, 'default', e.time);
      return;
    case 'route.chosen':
      complete(wf, s, e.payload.nodeId, e.payload.routeId, e.time);
      return;
    case 'approval.requested': {
      const p = e.payload;
      const n = node(p.nodeId);
      n.status = 'waiting';
      n.startedAt = e.time;
      s.approvals[p.approvalId] = { nodeId: p.nodeId, role: p.role, requiredApprovals: p.requiredApprovals, allowRequester: p.allowRequester, dueAt: p.dueAt, status: 'pending', decisions: [] };
      return;
    }
    case 'approval.decided': {
      const p = e.payload;
      const a = s.approvals[p.approvalId];
      if (!a || a.status !== 'pending') return;
      a.decisions.push({ actor: p.actor, decision: p.decision, ...(p.comment !== undefined && { comment: p.comment }), ...(p.auto && { auto: true }), at: e.time });
      const approvals = new Set(a.decisions.filter((d) => d.decision === 'approve').map((d) => d.actor)).size;
      if (p.decision === 'reject') a.status = 'rejected';
      else if (approvals >= a.requiredApprovals || p.auto) a.status = 'approved';
      if (a.status !== 'pending') complete(wf, s, a.nodeId, a.status, e.time);
      return;
    }
    case 'timer.scheduled':
      s.timers[e.payload.timerId] = { dueAt: e.payload.dueAt, purpose: e.payload.purpose, nodeId: e.payload.nodeId, ...(e.id && { scheduledBy: e.id }) };
      if (e.payload.purpose === 'delay' && e.payload.nodeId) {
        node(e.payload.nodeId).status = 'waiting';
        node(e.payload.nodeId).startedAt = e.time;
      }
      return;
    case 'timer.fired': {
      const t = s.timers[e.payload.timerId];
      if (!t) return;
      delete s.timers[e.payload.timerId];
      const n = t.nodeId ? node(t.nodeId) : undefined;
      if (t.purpose === 'retry' && n && n.status === 'waiting') {
        n.status = 'running';
        n.redispatch = true;
      } else if (t.purpose === 'delay' && n && n.status === 'waiting') complete(wf, s, t.nodeId!, 'default', e.time);
      else if (t.purpose === 'joinTimeout' && n && n.status === 'pending') n.timedOut = true;
      else if (t.purpose === 'approvalSla' && n && n.status === 'waiting') n.lapsed = true;
      else if (t.purpose === 'deadline') s.deadlinePassed = true;
      return;
    }
    case 'context.patched': {
      s.state = applyMergePatch(s.state, e.payload.patch) as Record<string, Json>;
      if (!isEngineSource(e.source)) {
        if (e.envelopeVersion !== null) s.externalPatchVersion = Math.max(s.externalPatchVersion, e.envelopeVersion);
        s.externalPatchSeq = Math.max(s.externalPatchSeq, e.seq);
      }
      if (e.payload.nodeId && e.payload.reason === 'setContext' && s.nodes[e.payload.nodeId]?.status === 'pending')
        complete(wf, s, e.payload.nodeId, 'default', e.time);
      return;
    }
    case 'run.completed':
      if (s.status !== 'running') return;
      s.status = 'completed';
      s.output = e.payload.output;
      s.endedAt = e.time;
      if (s.nodes[e.payload.endNodeId]) complete(wf, s, e.payload.endNodeId, 'default', e.time);
      s.timers = {};
      return;
    case 'run.failed':
      if (s.status !== 'running') return;
      s.status = 'failed';
      s.error = { reason: e.payload.reason, code: e.payload.code, ...(e.payload.nodeId !== undefined && { nodeId: e.payload.nodeId }) };
      if (e.payload.nodeId && s.nodes[e.payload.nodeId] && !['done', 'skipped'].includes(s.nodes[e.payload.nodeId]!.status)) {
        s.nodes[e.payload.nodeId]!.status = 'failed';
        s.nodes[e.payload.nodeId]!.failure = undefined;
      }
      s.endedAt = e.time;
      s.timers = {};
      return;
    case 'run.cancelled':
      if (s.status !== 'running') return;
      s.status = 'cancelled';
      s.error = { reason: e.payload.reason, code: 'run.cancelled' };
      s.endedAt = e.time;
      s.timers = {};
      return;
    case 'run.reopened': {
      if (s.status !== 'failed') return;
      s.status = 'running';
      s.error = null;
      s.endedAt = null;
      s.reopened += 1;
      // Its key was released when it failed: it lines up for it again, behind whoever holds it now.
      if (s.key) {
        s.gate = 'pending';
        s.keySeq = e.seq;
      }
      const n = node(e.payload.nodeId);
      n.status = 'running';
      n.redispatch = true;
      n.failure = undefined;
      n.error = undefined;
      return;
    }
    default:
      assertNever(e);
  }
}

/** Marks a node finished and its outgoing edges taken or skipped by `handle`; skips dead paths downstream. */
function complete(wf: CompiledWorkflow, s: RunState, nodeId: string, handle: string, time: string) {
  const n = (s.nodes[nodeId] ??= { status: 'pending', attempt: 0 });
  if (n.status === 'done' || n.status === 'skipped' || (n.status === 'failed' && handle !== 'error')) return;
  n.status = handle === 'error' ? 'failed' : 'done';
  n.handle = handle;
  n.endedAt = time;
  n.startedAt ??= time;
  n.failure = undefined;
  n.redispatch = false;
  const kind = wf.nodes.get(nodeId)?.kind;
  for (const edge of wf.out.get(nodeId) ?? []) {
    const h = edgeHandle(edge);
    const taken = kind === 'fanOut' || kind === 'trigger' || kind === 'join' || kind === 'delay' || kind === 'setContext' ? h !== 'error' : h === handle;
    s.edges[edge.id] = taken ? 'taken' : 'skipped';
    if (!taken) skipIfDead(wf, s, edge.target);
    else if (s.lastEventId && s.nodes[edge.target]?.status === 'pending') s.nodes[edge.target]!.causeId = s.lastEventId;
  }
}

function skip(wf: CompiledWorkflow, s: RunState, nodeId: string) {
  const n = (s.nodes[nodeId] ??= { status: 'pending', attempt: 0 });
  if (n.status !== 'pending') return;
  n.status = 'skipped';
  for (const edge of wf.out.get(nodeId) ?? []) {
    s.edges[edge.id] = 'skipped';
    skipIfDead(wf, s, edge.target);
  }
}

function skipIfDead(wf: CompiledWorkflow, s: RunState, nodeId: string) {
  const incoming = wf.in.get(nodeId) ?? [];
  if (incoming.length > 0 && incoming.every((e) => s.edges[e.id] === 'skipped')) skip(wf, s, nodeId);
}
