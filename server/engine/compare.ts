/**
 * Compare two runs side by side (issue 14 §3): from each run's events alone, the path it took (its nodes in
 * the order they completed or were decided), and per node its status, output, decision (the route a router
 * took, an approval's outcome, who a join waited for, an end's outcome), timing, tokens and whether a fork
 * reused it; then, row by row in path order, what differs and **the divergence point**: the first node
 * where the two runs part (one ran and the other did not, another status, decision or output).
 *
 * Pure (no I/O, no clock): the events are the input, so a run and its fork, two versions, or two runs of
 * different workflows can be compared the same way. Durations and tokens are shown, never a divergence:
 * two identical runs take different times. A run's input is compared on its own (`inputDiff`), not as a
 * node's output, so a changed input diverges where it first changes what a node did.
 */
import type { Json, SpineEvent } from '@/server/spine';
import { jsonDiff, type JsonChange } from '@/server/spine/jsonDiff';
import type { RunStarted } from './events';

/** How far a node got in one run. `not_reached`: no event of the run names it. */
export const COMPARED_NODE_STATUSES = ['completed', 'failed', 'skipped', 'running', 'waiting', 'not_reached'] as const;
export type ComparedNodeStatus = (typeof COMPARED_NODE_STATUSES)[number];

/** What a node decided, where it decides something. */
export type NodeDecision =
  | { kind: 'route'; routeId: string; target: string | null }
  | { kind: 'approval'; decision: 'approve' | 'reject'; actors: string[]; auto: boolean }
  | { kind: 'join'; arrived: string[]; timedOut: boolean }
  | { kind: 'error'; code: string | null }
  | { kind: 'end'; outcome: 'success' | 'failure' };

export type NodeTokens = { inputTokens: number; outputTokens: number; cost: number | null; models: string[] };

/** One node as one run saw it. */
export type NodeInRun = {
  status: ComparedNodeStatus;
  /** Its place on the run's path (0 = first completed), null when it did not finish. */
  order: number | null;
  /** An agent's output, a join's gathered output, an end's run output. */
  output?: Json;
  /** The input the last dispatch sent the agent. */
  input?: Json;
  decision?: NodeDecision;
  attempts: number;
  error?: string;
  /** From its first event to the one that finished it (null while unfinished). */
  durationMs: number | null;
  startedAt: string | null;
  endedAt: string | null;
  tokens: NodeTokens | null;
  /** A fork answered it from its origin's recorded output (no agent called). */
  reused: boolean;
};

/** Why a row differs; `ran`: one run reached the node and the other did not. */
export const NODE_DIFFERENCES = ['ran', 'status', 'decision', 'output'] as const;
export type NodeDifference = (typeof NODE_DIFFERENCES)[number];

export type ComparedNode = {
  nodeId: string;
  label: string;
  kind: string | null;
  a: NodeInRun;
  b: NodeInRun;
  differences: NodeDifference[];
  /** What changed from a's output to b's (empty when equal or when either has none). */
  outputDiff: JsonChange[];
  /** The first differing row in path order. */
  divergence: boolean;
};

export type RunTokens = { inputTokens: number; outputTokens: number; cost: number | null; agentCalls: number; reused: number };

export type ComparedRun = {
  runId: string;
  workflowId: string;
  workflowSlug: string;
  workflowName: string;
  version: number;
  /** `waiting`: not ended, and nothing at work: a person or a timer is next. */
  status: 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  input: Json;
  output: Json;
  error: { reason: string; code: string; nodeId?: string } | null;
  fork: { from: string; atSeq: number } | null;
  /** Node ids in the order they finished. */
  path: string[];
  tokens: RunTokens;
};

export type RunComparison = {
  a: ComparedRun;
  b: ComparedRun;
  /** One row per node on either path, in path order (a's order, b's nodes placed where b ran them). */
  rows: ComparedNode[];
  divergence: { nodeId: string; label: string; differences: NodeDifference[] } | null;
  inputDiff: JsonChange[];
  outputDiff: JsonChange[];
  /** Every node of either workflow version by id, as a person reads it (its label, else its id). */
  labels: Record<string, string>;
};

/** A node as the workflow version describes it (its label is what a person reads). */
export type WorkflowNodeInfo = { id: string; kind: string; label?: string | null };
/** One run to compare: its id, its events (seq order; other runs' are ignored), and its workflow's nodes and name when known. */
export type CompareSide = { runId?: string; events: readonly SpineEvent[]; nodes?: readonly WorkflowNodeInfo[]; workflowName?: string };

type Payload = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The two runs compared, a on the left, b on the right. */
export function compareRuns(a: CompareSide, b: CompareSide): RunComparison {
  const ra = readRun(a);
  const rb = readRun(b);
  const info = new Map<string, WorkflowNodeInfo>();
  for (const n of [...(b.nodes ?? []), ...(a.nodes ?? [])]) info.set(n.id, n);
  const rows = mergePaths(ra.order, rb.order).map((nodeId): ComparedNode => {
    const na = ra.nodes.get(nodeId) ?? unreached();
    const nb = rb.nodes.get(nodeId) ?? unreached();
    const outputDiff = na.output !== undefined && nb.output !== undefined ? jsonDiff(na.output, nb.output) : [];
    return { nodeId, label: labelOf(info, nodeId), kind: info.get(baseId(nodeId))?.kind ?? null, a: na, b: nb, differences: differencesOf(na, nb, outputDiff), outputDiff, divergence: false };
  });
  const first = rows.find((r) => r.differences.length > 0);
  if (first) first.divergence = true;
  return {
    a: ra.run, b: rb.run, rows,
    divergence: first ? { nodeId: first.nodeId, label: first.label, differences: first.differences } : null,
    inputDiff: jsonDiff(ra.run.input, rb.run.input),
    outputDiff: jsonDiff(ra.run.output, rb.run.output),
    labels: Object.fromEntries([...info.keys()].map((id) => [id, labelOf(info, id)])),
  };
}

function differencesOf(a: NodeInRun, b: NodeInRun, outputDiff: JsonChange[]): NodeDifference[] {
  const out: NodeDifference[] = [];
  const ran = (n: NodeInRun) => n.status !== 'not_reached' && n.status !== 'skipped';
  if (ran(a) !== ran(b)) return ['ran'];
  if (a.status !== b.status) out.push('status');
  if (JSON.stringify(decisionKey(a.decision)) !== JSON.stringify(decisionKey(b.decision))) out.push('decision');
  if (outputDiff.length > 0 || (a.output === undefined) !== (b.output === undefined)) out.push('output');
  return out;
}

/** What of a decision counts as "the same decision" (who approved, not when; the arrivals as a set). */
function decisionKey(d: NodeDecision | undefined): unknown {
  if (!d) return null;
  switch (d.kind) {
    case 'route':
      return [d.kind, d.routeId];
    case 'approval':
      return [d.kind, d.decision];
    case 'join':
      return [d.kind, [...d.arrived].sort(), d.timedOut];
    case 'error':
      return [d.kind, d.code];
    case 'end':
      return [d.kind, d.outcome];
  }
}

/** a's path, with each node only b ran placed after the node b ran before it. */
function mergePaths(a: string[], b: string[]): string[] {
  const inA = new Set(a);
  const out = [...a];
  let after = -1;
  for (const id of b) {
    if (inA.has(id)) after = out.indexOf(id);
    else out.splice(++after, 0, id);
  }
  return out;
}

const baseId = (nodeId: string) => nodeId.split('#')[0]!;
function labelOf(info: Map<string, WorkflowNodeInfo>, nodeId: string): string {
  const [base, index] = nodeId.split('#');
  const n = info.get(base!);
  const name = n?.label || base!;
  return index === undefined ? name : `${name} (item ${Number(index) + 1})`;
}

const unreached = (): NodeInRun => ({ status: 'not_reached', order: null, attempts: 0, durationMs: null, startedAt: null, endedAt: null, tokens: null, reused: false });

type Reading = { run: ComparedRun; nodes: Map<string, NodeInRun>; order: string[] };

/** One run's nodes and path, read from its events. */
function readRun(side: CompareSide): Reading {
  const started = side.events.find((e) => e.type === 'run.started');
  const runId = side.runId ?? started?.runId ?? side.events[0]?.runId ?? '';
  const events = side.events.filter((e) => e.runId === runId);
  const sp = (started?.payload ?? {}) as Partial<RunStarted['payload']>;
  const nodes = new Map<string, NodeInRun>();
  const order: string[] = [];
  const begun: string[] = [];
  const timers = new Map<string, string>();
  const approvals = new Map<string, { required: number; approvers: Set<string> }>();
  const node = (id: string, e: SpineEvent): NodeInRun => {
    let n = nodes.get(id);
    if (!n) {
      n = { ...unreached(), status: 'running', startedAt: e.time };
      nodes.set(id, n);
      begun.push(id);
    }
    return n;
  };
  const finish = (id: string, e: SpineEvent, status: 'completed' | 'failed') => {
    const n = node(id, e);
    if (n.order !== null) return n;
    n.status = status;
    n.order = order.length;
    order.push(id);
    n.endedAt = e.time;
    n.durationMs = Math.max(0, Date.parse(e.time) - Date.parse(n.startedAt ?? e.time));
    return n;
  };
  const addTokens = (n: NodeInRun, p: Payload) => {
    const model = str(p.model);
    if (model === undefined) return;
    const t = (n.tokens ??= { inputTokens: 0, outputTokens: 0, cost: null, models: [] });
    t.inputTokens += num(p.inputTokens) ?? 0;
    t.outputTokens += num(p.outputTokens) ?? 0;
    const cost = num(p.cost);
    if (cost !== undefined) t.cost = (t.cost ?? 0) + cost;
    if (!t.models.includes(model)) t.models.push(model);
  };
  let status: ComparedRun['status'] = 'running';
  let output: Json = null;
  let error: ComparedRun['error'] = null;
  let endedAt: string | null = null;
  let agentCalls = 0;

  for (const e of events) {
    const p = (e.payload ?? {}) as Payload;
    const nodeId = str(p.nodeId);
    switch (e.type) {
      case 'task.dispatched': {
        const n = node(nodeId!, e);
        n.attempts = Math.max(n.attempts, num(p.attempt) ?? 1);
        // An agent given the run's input as it is may record a reference to it (`inputFrom: 'run'`) instead of a copy.
        n.input = (p.inputFrom === 'run' && p.input === undefined ? (sp.input ?? null) : (p.input ?? null)) as Json;
        if (n.order === null) n.status = 'running';
        break;
      }
      case 'task.completed': {
        const n = node(nodeId!, e);
        if (n.order !== null) break;
        n.output = (p.output ?? null) as Json;
        n.reused = p.reused === true;
        n.attempts = Math.max(n.attempts, num(p.attempt) ?? 1);
        if (!n.reused) agentCalls++;
        addTokens(n, p);
        finish(nodeId!, e, 'completed');
        break;
      }
      case 'task.failed': {
        const n = node(nodeId!, e);
        n.error = str(p.error);
        if (p.errorKind !== 'stale' && p.errorKind !== 'input') agentCalls++;
        addTokens(n, p);
        if (n.order === null) n.status = p.retryable === true ? 'waiting' : 'failed';
        break;
      }
      case 'task.retried':
        if (nodeId) node(nodeId, e).status = 'waiting';
        break;
      case 'node.completed': {
        if (p.handle === 'error') {
          const n = finish(nodeId!, e, 'failed');
          n.decision ??= { kind: 'error', code: str(p.code) ?? null };
          n.error ??= str(p.reason);
        } else finish(nodeId!, e, 'completed');
        break;
      }
      case 'node.skipped': {
        const n = node(nodeId!, e);
        if (n.order === null) n.status = 'skipped';
        break;
      }
      case 'fanout.started':
        node(nodeId!, e);
        // A map fan-out stays open until its join; a static one is done as it starts its branches.
        if (p.items === undefined) finish(nodeId!, e, 'completed');
        break;
      case 'join.satisfied': {
        const n = finish(nodeId!, e, 'completed');
        n.decision = { kind: 'join', arrived: Array.isArray(p.arrived) ? p.arrived.map(String) : [], timedOut: p.timedOut === true };
        break;
      }
      case 'route.chosen': {
        const n = finish(nodeId!, e, 'completed');
        n.decision = { kind: 'route', routeId: String(p.routeId), target: str(p.target) ?? null };
        break;
      }
      case 'approval.requested': {
        const n = node(nodeId!, e);
        n.status = 'waiting';
        approvals.set(String(p.approvalId), { required: num(p.requiredApprovals) ?? 1, approvers: new Set() });
        break;
      }
      case 'approval.decided': {
        const a = approvals.get(String(p.approvalId));
        const n = node(nodeId!, e);
        if (!a || n.order !== null) break;
        const actor = String(p.actor ?? '');
        if (p.decision === 'approve') a.approvers.add(actor);
        if (p.decision === 'reject' || p.auto === true || a.approvers.size >= a.required) {
          finish(nodeId!, e, 'completed');
          n.decision = { kind: 'approval', decision: p.decision === 'reject' ? 'reject' : 'approve', actors: p.decision === 'reject' ? [actor] : [...a.approvers], auto: p.auto === true };
        }
        break;
      }
      case 'timer.scheduled':
        if (p.purpose === 'delay' && nodeId) {
          timers.set(String(p.timerId), nodeId);
          node(nodeId, e).status = 'waiting';
        }
        break;
      case 'timer.fired': {
        const id = timers.get(String(p.timerId));
        if (id) finish(id, e, 'completed');
        break;
      }
      case 'context.patched':
        if (nodeId && p.reason === 'setContext') finish(nodeId, e, 'completed');
        break;
      case 'run.completed': {
        status = 'completed';
        output = (p.output ?? null) as Json;
        endedAt = e.time;
        const end = str(p.endNodeId);
        if (end) {
          const n = finish(end, e, 'completed');
          n.output = output;
          n.decision = { kind: 'end', outcome: 'success' };
        }
        break;
      }
      case 'run.failed': {
        status = 'failed';
        endedAt = e.time;
        error = { reason: String(p.reason ?? ''), code: String(p.code ?? ''), ...(nodeId && { nodeId }) };
        if (nodeId) {
          const n = finish(nodeId, e, 'failed');
          if (p.code === 'end.failure') n.decision = { kind: 'end', outcome: 'failure' };
          n.error ??= error.reason;
        }
        break;
      }
      case 'run.cancelled':
        status = 'cancelled';
        endedAt = e.time;
        error = { reason: String(p.reason ?? ''), code: 'run.cancelled' };
        break;
      case 'run.reopened': {
        status = 'running';
        endedAt = null;
        error = null;
        // The retried node finishes again later: it leaves the path until then.
        const n = nodeId ? nodes.get(nodeId) : undefined;
        if (n && n.order !== null) {
          order.splice(n.order, 1);
          order.forEach((id, i) => (nodes.get(id)!.order = i));
          Object.assign(n, { order: null, status: 'running', endedAt: null, durationMs: null });
        }
        break;
      }
    }
  }

  // Nodes still at work follow the finished ones, in the order they began.
  const path = [...order, ...begun.filter((id) => nodes.get(id)!.order === null && nodes.get(id)!.status !== 'skipped')];
  let inputTokens = 0;
  let outputTokens = 0;
  let cost: number | null = null;
  let reused = 0;
  for (const n of nodes.values()) {
    if (n.reused) reused++;
    if (!n.tokens) continue;
    inputTokens += n.tokens.inputTokens;
    outputTokens += n.tokens.outputTokens;
    if (n.tokens.cost !== null) cost = (cost ?? 0) + n.tokens.cost;
  }
  if (status === 'running') {
    const states = [...nodes.values()].map((n) => n.status);
    if (states.includes('waiting') && !states.includes('running')) status = 'waiting';
  }
  const startedAt = started?.time ?? null;
  const fork = sp.fork ? { from: sp.fork.from, atSeq: sp.fork.atSeq } : null;
  const run: ComparedRun = {
    runId, workflowId: sp.workflowId ?? '', workflowSlug: sp.workflowSlug ?? '', workflowName: side.workflowName ?? sp.workflowSlug ?? '', version: sp.version ?? 0,
    status, startedAt, endedAt, durationMs: startedAt && endedAt ? Math.max(0, Date.parse(endedAt) - Date.parse(startedAt)) : null,
    input: (sp.input ?? null) as Json, output, error, fork, path,
    tokens: { inputTokens, outputTokens, cost, agentCalls, reused },
  };
  return { run, nodes, order: path };
}
