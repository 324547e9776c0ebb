/**
 * evolve: folds one run event into a RunState. Deterministic and free of I/O, clocks and randomness:
 * every time, version and choice it needs is in the event. The same history always folds to the same
 * state (run/evolve.test.ts checks it, and recorded histories in __fixtures__ must fold to their
 * snapshots).
 *
 * Edge bookkeeping lives here: when a node completes, its outgoing edges are marked taken or skipped by
 * the handle it completed with, and a node whose every incoming edge is skipped is itself skipped, and so
 * on downstream (dead-path elimination). Which pending node is ready is then decide's question.
 *
 * Map fan-outs: `fanout.started` records the list, `fanout.item_started` gives one item its copy of the
 * branch (instance nodes `<nodeId>#<index>`, see graph.ts), and an item has ended once its copy's edges
 * into the join are settled: taken (the item arrived, with its result), or all skipped (it failed, or a
 * router led it nowhere). The template nodes of the branch only mirror the whole: running, then done.
 */
import { applyMergePatch } from '@/server/spine/envelope';
import { isEngineSource } from '@/server/spine/events';
import type { Json } from '@/server/spine';
import { assertNever } from '@/server/errors';
import type { RunEvent, RunFork } from '../events';
import { edgeHandle, instanceOf, type CompiledWorkflow } from '../graph';
import { instanceId } from '../ids';
import { runTraceOf, type RunTraceContext } from './traceContext';

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

/**
 * One approver's vote on an approval, as `approval.decided` recorded it (`auto`: the SLA decided, not a
 * person). Not to be confused with a `Decision` (events.ts), what the engine decides to append.
 */
export type Vote = { actor: string; decision: 'approve' | 'reject'; comment?: string; auto?: boolean; at: string };

export type Approval = {
  nodeId: string;
  /** The role that decides it now (after an escalation, the role it was escalated to). */
  role: string;
  requiredApprovals: number;
  allowRequester: boolean;
  dueAt: string | null;
  status: 'pending' | 'approved' | 'rejected';
  /** The votes so far, in order (the field keeps its recorded name). */
  decisions: Vote[];
  /** Approval nodes whose approvers may not decide this one (four eyes). */
  distinctFrom?: string[];
  /** Set by `approval.escalated`: the role it had before, and when it was escalated. */
  escalatedFrom?: string;
  escalatedAt?: string;
};

export const ITEM_STATUSES = ['running', 'done', 'failed', 'skipped'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** One map fan-out's progress through its list. Items start in list order. */
export type MapRun = {
  items: Json[];
  concurrency: number;
  /** Items started so far (0..items.length). */
  started: number;
  /** Items started and not yet ended. */
  running: number;
  /** Per started item. */
  status: ItemStatus[];
  /** Per started item: its result once it arrived at the join (the output of the node that reached it), else null. */
  outputs: Json[];
  /** Per running item: its nodes' outputs by node id (what `results.<id>` reads inside its branch). */
  results: Record<string, Record<string, Json>>;
  /** The join has fired or failed: no further item starts. */
  closed: boolean;
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
  /** Map fan-outs that have started, by node id (absent until one does). */
  maps?: Record<string, MapRun>;
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
  /** The run's W3C trace context from its run.started (absent for runs started before tracing, or without one). */
  trace?: RunTraceContext;
  /** A fork's origin and the recorded outputs it reuses (run.started `fork`). */
  fork?: RunFork;
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
  // Only an event that moved the node on moves its cause (a late duplicate result changes nothing).
  const before = tracked && progressOf(tracked);
  fold(wf, s, e);
  const n = nodeId ? s.nodes[nodeId] : undefined;
  if (n && !NOT_NODE_PROGRESS.has(e.type) && (n !== tracked || progressOf(n) !== before)) n.causeId = e.id;
}

/** The part of a node's state that says how far it got (cheap to compare on every event). */
function progressOf(n: NodeState): string {
  return `${n.status}|${n.attempt}|${n.handle ?? ''}|${n.failure ? 1 : 0}|${n.redispatch ? 1 : 0}|${n.lapsed ? 1 : 0}|${n.timedOut ? 1 : 0}|${n.dispatchSeq ?? ''}`;
}

/** A node's state, created pending on first use. (Module-level: a closure made per fold pays tsx's keepNames on every call.) */
function nodeOf(s: RunState, id: string): NodeState {
  return (s.nodes[id] ??= { status: 'pending', attempt: 0 });
}

function fold(wf: CompiledWorkflow, s: RunState, e: RunEvent & { key?: string | null }): void {
  s.lastSeq = Math.max(s.lastSeq, e.seq);
  if (e.envelopeVersion !== null && e.envelopeVersion > s.envelopeVersion) s.envelopeVersion = e.envelopeVersion;
  switch (e.type) {
    case 'run.started': {
      const p = e.payload;
      Object.assign(s, {
        workflowId: p.workflowId, slug: p.workflowSlug, version: p.version, key: e.key ?? null, startedBy: p.startedBy, input: p.input,
        intent: p.intent ?? null, constraints: p.constraints ?? {}, deadline: p.deadline ?? null, state: p.state ?? {},
        gate: e.key ? 'pending' : 'open', startedSeq: e.seq, keySeq: e.seq, startedAt: e.time,
      });
      const trace = runTraceOf(p as unknown as Json);
      if (trace) s.trace = trace;
      if (p.fork) s.fork = p.fork;
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
      if (e.payload.handle === 'error') {
        closeMap(wf, s, e.payload.nodeId, e.time);
        if (e.payload.reason) nodeOf(s, e.payload.nodeId).error ??= e.payload.reason;
      }
      complete(wf, s, e.payload.nodeId, e.payload.handle ?? 'default', e.time);
      return;
    case 'node.skipped':
      skip(wf, s, e.payload.nodeId);
      return;
    case 'fanout.started': {
      const p = e.payload;
      const body = wf.maps.get(p.nodeId);
      if (p.items === undefined || !body) {
        complete(wf, s, p.nodeId, 'default', e.time);
        return;
      }
      const f = nodeOf(s, p.nodeId);
      if (f.status !== 'pending') return;
      f.status = 'running';
      f.startedAt = e.time;
      (s.maps ??= {})[p.nodeId] = { items: p.items, concurrency: p.concurrency ?? 1, started: 0, running: 0, status: [], outputs: [], results: {}, closed: false };
      for (const id of body.nodes) {
        const t = nodeOf(s, id);
        if (t.status === 'pending') Object.assign(t, { status: 'running', startedAt: e.time });
      }
      return;
    }
    case 'fanout.item_started': {
      const { nodeId, index } = e.payload;
      const m = s.maps?.[nodeId];
      const body = wf.maps.get(nodeId);
      if (!m || !body || m.closed || index >= m.items.length || m.status[index] !== undefined) return;
      m.status[index] = 'running';
      m.outputs[index] = null;
      m.started = Math.max(m.started, index + 1);
      m.running += 1;
      m.results[index] = {};
      for (const id of body.nodes) s.nodes[instanceId(id, index)] = { status: 'pending', attempt: 0 };
      s.edges[instanceId(body.entry.id, index)] = 'taken';
      return;
    }
    case 'task.dispatched': {
      const n = nodeOf(s, e.payload.nodeId);
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
      const n = nodeOf(s, e.payload.nodeId);
      if (n.status !== 'running' || n.attempt !== e.payload.attempt) return;
      n.output = e.payload.output;
      const inst = instanceOf(wf, e.payload.nodeId);
      const own = inst && s.maps?.[inst.fanOutId]?.results[inst.index];
      if (inst) {
        if (own) own[inst.nodeId] = e.payload.output;
      } else s.results[e.payload.nodeId] = e.payload.output;
      complete(wf, s, e.payload.nodeId, 'default', e.time);
      return;
    }
    case 'task.failed': {
      const n = nodeOf(s, e.payload.nodeId);
      if (n.status !== 'running' || n.attempt !== e.payload.attempt) return;
      n.error = e.payload.error;
      n.failure = { error: e.payload.error, retryable: e.payload.retryable, ...(e.payload.retryAfterMs !== undefined && { retryAfterMs: e.payload.retryAfterMs }) };
      return;
    }
    case 'task.retried': {
      const n = nodeOf(s, e.payload.nodeId);
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
      const n = nodeOf(s, e.payload.nodeId);
      if (e.payload.policy === 'rerun') n.redispatch = true;
      return;
    }
    case 'join.satisfied': {
      const m = closeMap(wf, s, e.payload.nodeId, e.time);
      if (m) {
        const output = m.items.map((_, i) => (m.status[i] === 'done' ? (m.outputs[i] ?? null) : null));
        s.results[e.payload.nodeId] = output;
        nodeOf(s, e.payload.nodeId).output = output;
      }
      complete(wf, s, e.payload.nodeId, 'default', e.time);
      return;
    }
    case 'route.chosen':
      complete(wf, s, e.payload.nodeId, e.payload.routeId, e.time);
      return;
    case 'approval.requested': {
      const p = e.payload;
      const n = nodeOf(s, p.nodeId);
      n.status = 'waiting';
      n.startedAt = e.time;
      s.approvals[p.approvalId] = {
        nodeId: p.nodeId, role: p.role, requiredApprovals: p.requiredApprovals, allowRequester: p.allowRequester, dueAt: p.dueAt, status: 'pending', decisions: [],
        ...(p.distinctFrom?.length && { distinctFrom: p.distinctFrom }),
      };
      return;
    }
    case 'approval.escalated': {
      const p = e.payload;
      const a = s.approvals[p.approvalId];
      if (!a || a.status !== 'pending') return;
      a.escalatedFrom ??= a.role;
      a.escalatedAt = p.escalatedAt;
      a.role = p.role;
      a.dueAt = p.dueAt;
      nodeOf(s, p.nodeId).lapsed = false;
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
        nodeOf(s, e.payload.nodeId).status = 'waiting';
        nodeOf(s, e.payload.nodeId).startedAt = e.time;
      }
      return;
    case 'timer.fired': {
      const t = s.timers[e.payload.timerId];
      if (!t) return;
      delete s.timers[e.payload.timerId];
      const n = t.nodeId ? nodeOf(s, t.nodeId) : undefined;
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
      const n = nodeOf(s, e.payload.nodeId);
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
    // Single-exit kinds continue by every edge but `error`; a join that failed, by `error` only.
    const taken = kind === 'fanOut' || kind === 'trigger' || kind === 'join' || kind === 'delay' || kind === 'setContext' ? (handle === 'error') === (h === 'error') : h === handle;
    s.edges[edge.id] = taken ? 'taken' : 'skipped';
    if (!taken) skipIfDead(wf, s, edge.target);
    else if (s.lastEventId && s.nodes[edge.target]?.status === 'pending') s.nodes[edge.target]!.causeId = s.lastEventId;
  }
  settleItem(wf, s, nodeId);
}

/**
 * Ends an item of a map fan-out once its copy's edges into the join are settled. Its result is the output
 * of the node that reached the join (else the last output of its branch); without arriving, it failed if
 * one of its nodes failed, else it was skipped (a router led it nowhere).
 */
function settleItem(wf: CompiledWorkflow, s: RunState, id: string) {
  const inst = instanceOf(wf, id);
  const m = inst && s.maps?.[inst.fanOutId];
  const body = inst && wf.maps.get(inst.fanOutId);
  if (!inst || !m || !body || m.status[inst.index] !== 'running') return;
  const i = inst.index;
  let open = false;
  let from: string | null = null;
  for (const x of body.exits) {
    const st = s.edges[instanceId(x.id, i)];
    if (st === 'taken') {
      from = x.source;
      break;
    }
    if (st === undefined) open = true;
  }
  if (!from && open) return;
  const own = m.results[i] ?? {};
  if (from) {
    m.status[i] = 'done';
    const last = [...body.nodes].reverse().find((b) => own[b] !== undefined);
    m.outputs[i] = s.nodes[instanceId(from, i)]?.output ?? (last !== undefined ? own[last]! : null);
  } else m.status[i] = body.nodes.some((b) => s.nodes[instanceId(b, i)]?.status === 'failed') ? 'failed' : 'skipped';
  m.running -= 1;
  delete m.results[i];
}

/** The join of a map fan-out fired or failed: the fan-out and its template nodes are done, no item starts. */
function closeMap(wf: CompiledWorkflow, s: RunState, joinId: string, time: string): MapRun | undefined {
  const fanOutId = wf.mapOfJoin.get(joinId);
  const m = fanOutId ? s.maps?.[fanOutId] : undefined;
  if (!fanOutId || !m || m.closed) return m;
  m.closed = true;
  for (const id of [fanOutId, ...(wf.maps.get(fanOutId)?.nodes ?? [])]) {
    const n = s.nodes[id];
    if (n && n.status === 'running') Object.assign(n, { status: 'done', endedAt: time });
  }
  return m;
}

function skip(wf: CompiledWorkflow, s: RunState, nodeId: string) {
  const n = (s.nodes[nodeId] ??= { status: 'pending', attempt: 0 });
  if (n.status !== 'pending') return;
  n.status = 'skipped';
  for (const edge of wf.out.get(nodeId) ?? []) {
    s.edges[edge.id] = 'skipped';
    skipIfDead(wf, s, edge.target);
  }
  settleItem(wf, s, nodeId);
}

function skipIfDead(wf: CompiledWorkflow, s: RunState, nodeId: string) {
  const incoming = wf.in.get(nodeId) ?? [];
  if (incoming.length === 0 || !incoming.every((e) => s.edges[e.id] === 'skipped')) return;
  // An `any` / `quorum` join whose branches failed is not skipped: it fails, readably (join.ts).
  const n = wf.nodes.get(nodeId);
  if (n?.kind === 'join' && n.config.mode !== 'all' && incoming.some((e) => failedUpstream(wf, s, e.source))) return;
  skip(wf, s, nodeId);
}

/**
 * Whether a node failed, or was skipped because a node before it failed (a failure that took an error
 * edge went on elsewhere, and does not count).
 */
function failedUpstream(wf: CompiledWorkflow, s: RunState, id: string): boolean {
  for (const seen = new Set<string>(), stack = [id]; stack.length; ) {
    const at = stack.pop()!;
    const n = s.nodes[at];
    if (n?.status === 'failed' && !(wf.out.get(at) ?? []).some((e) => e.sourceHandle === 'error' && s.edges[e.id] === 'taken')) return true;
    if (n?.status !== 'skipped' || seen.has(at)) continue;
    seen.add(at);
    for (const e of wf.in.get(at) ?? []) stack.push(e.source);
  }
  return false;
}
