/**
 * The workflow validator: one function the designer runs on every change, `isValidConnection` asks before an
 * edge is drawn, and publish runs before it freezes a version. Isomorphic and pure: a document in, coded
 * problems out, each tied to the node or edge it concerns. Tests assert codes, never the English.
 *
 * Errors block publishing; warnings are shown but do not. The rules, and why:
 *   - exactly one trigger (`workflow.no_trigger`, `workflow.multiple_triggers`, both errors): a run starts at
 *     one node, and any published workflow can be started through the API anyway; at least one end
 *     (`workflow.no_end`).
 *   - the graph is a DAG (`graph.cycle`, naming the nodes in order; `edge.self_loop`): retries and re-runs
 *     are node policies, not loops.
 *   - only a join may have several inputs (`node.multiple_inputs`): where branches meet, the join says
 *     whether to wait for all, any or a quorum. Use a join in `any` mode to merge exclusive router branches.
 *   - only a fan-out may start several branches (`node.multiple_outputs`); a static fan-out needs two or more
 *     (`fanOut.too_few_branches`), a map fan-out exactly one (`fanOut.too_many_branches`), and their branches
 *     should meet at a join (`fanOut.no_join`, warning).
 *   - a map fan-out's branch (the nodes up to its join) runs once per item, so it leads into exactly one
 *     join, holds no end, trigger, fan-out or join of its own (`fanOut.map_branch_invalid`), and that join
 *     collects only the branch (`fanOut.map_join_shared`). Such a join may have a single input (the items
 *     are its inputs), and its quorum is checked against the list at run time.
 *   - an approval's `distinctFrom` names other approval nodes (`approval.distinct_from_invalid`).
 *   - every node is reachable from the trigger (`node.unreachable`) and every node but an end continues on
 *     success (`node.dead_end`); edges use handles their source has (`edge.invalid_handle`).
 */
import { checkExpression, type ExpectedType } from './expressions';
import {
  DEFAULT_HANDLE,
  WorkflowDocument,
  edgeHandle,
  outputHandles,
  successHandles,
  type WorkflowEdge,
  type WorkflowNode,
} from './schema';
import { undeclaredOutputReads } from '@/server/contracts/compatibility';
import type { Json } from '@/server/spine/events';

export type Severity = 'error' | 'warning';

/** Every code the validator emits, with its severity. */
export const PROBLEM_CODES = {
  'document.invalid': 'error',
  'workflow.no_trigger': 'error',
  'workflow.multiple_triggers': 'error',
  'workflow.no_end': 'error',
  'node.duplicate_id': 'error',
  'node.unreachable': 'error',
  'node.dead_end': 'error',
  'node.multiple_inputs': 'error',
  'node.multiple_outputs': 'error',
  'edge.duplicate_id': 'error',
  'edge.duplicate': 'error',
  'edge.unknown_node': 'error',
  'edge.invalid_handle': 'error',
  'edge.self_loop': 'error',
  'graph.cycle': 'error',
  'trigger.has_inputs': 'error',
  'end.has_outputs': 'error',
  'agent.not_set': 'error',
  'agent.unknown': 'error',
  'agent.removed': 'error',
  'join.too_few_inputs': 'error',
  'join.quorum_out_of_range': 'error',
  'router.no_default': 'error',
  'router.duplicate_route': 'error',
  'router.reserved_route_id': 'error',
  'router.unused_route': 'warning',
  'router.no_routes': 'warning',
  'approval.missing_branch': 'warning',
  'fanOut.too_few_branches': 'error',
  'fanOut.too_many_branches': 'error',
  'fanOut.no_join': 'warning',
  'fanOut.map_branch_invalid': 'error',
  'fanOut.map_join_shared': 'error',
  'approval.distinct_from_invalid': 'error',
  'setContext.empty_patch': 'error',
  'expression.invalid': 'error',
  'expression.undeclared_field': 'warning',
} as const satisfies Record<string, Severity>;
export type ProblemCode = keyof typeof PROBLEM_CODES;

export type Problem = {
  code: ProblemCode;
  severity: Severity;
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** Every node concerned, in order, when there are several (the nodes of a cycle). */
  nodeIds?: string[];
  /** Path of the config field concerned, e.g. `config.routes.1.condition`. */
  field?: string;
};

export type ValidateOptions = {
  /** Known agent names; when given, an agent node naming another is `agent.unknown`. */
  agents?: ReadonlySet<string>;
  /** Agents removed from the registry: a node naming one is `agent.removed` (rather than unknown). */
  removedAgents?: ReadonlySet<string>;
  /** Registered output schemas by agent: a read of a field one does not declare is `expression.undeclared_field`. */
  agentOutputs?: ReadonlyMap<string, Json>;
};

type Where = Pick<Problem, 'nodeId' | 'edgeId' | 'nodeIds' | 'field'>;

function problem(code: ProblemCode, message: string, where: Where = {}): Problem {
  return { code, severity: PROBLEM_CODES[code], message, ...where };
}

/** Adjacency over the edges that are well formed (known endpoints, valid handle, not a duplicate). */
type Graph = { nodes: Map<string, WorkflowNode>; out: Map<string, WorkflowEdge[]>; in: Map<string, WorkflowEdge[]> };

function nodeName(n: WorkflowNode): string {
  return n.label ? `'${n.label}' (${n.id})` : `'${n.id}'`;
}

/**
 * Checks a parsed document's graph, configs, agents and expressions.
 * @example validateWorkflow(doc, { agents: new Set(['summarizer']) }).filter((p) => p.severity === 'error')
 */
export function validateWorkflow(doc: WorkflowDocument, opts: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (code: ProblemCode, message: string, where?: Where) => problems.push(problem(code, message, where));

  // Nodes
  const nodes = new Map<string, WorkflowNode>();
  for (const n of doc.nodes) {
    if (nodes.has(n.id)) add('node.duplicate_id', `Two nodes have the id '${n.id}'`, { nodeId: n.id });
    else nodes.set(n.id, n);
  }
  const g: Graph = { nodes, out: new Map(), in: new Map() };
  for (const id of nodes.keys()) {
    g.out.set(id, []);
    g.in.set(id, []);
  }

  // Edges: only well-formed ones enter the graph.
  const edgeIds = new Set<string>();
  const connections = new Set<string>();
  for (const e of doc.edges) {
    if (edgeIds.has(e.id)) add('edge.duplicate_id', `Two edges have the id '${e.id}'`, { edgeId: e.id });
    edgeIds.add(e.id);
    const refusal = edgeRefusal(g, e, connections);
    if (refusal) {
      problems.push(refusal);
      continue;
    }
    connections.add(connectionKey(e));
    g.out.get(e.source)!.push(e);
    g.in.get(e.target)!.push(e);
  }

  // Document level
  const triggers = doc.nodes.filter((n) => n.kind === 'trigger');
  if (triggers.length === 0) add('workflow.no_trigger', 'The workflow has no trigger: add one to say how a run starts');
  for (const t of triggers.slice(1))
    add('workflow.multiple_triggers', `A workflow has exactly one trigger; ${nodeName(t)} is a second one`, { nodeId: t.id });
  if (!doc.nodes.some((n) => n.kind === 'end')) add('workflow.no_end', 'The workflow has no end node');

  // Map fan-outs: their branches and joins
  const mapJoins = checkMapBranches(g, add);

  // Per node
  for (const n of nodes.values()) checkNode(g, n, opts, add, mapJoins);

  // Contracts: reads of agent output fields the agent's registered output schema does not declare.
  if (opts.agentOutputs?.size)
    for (const u of undeclaredOutputReads(doc, (a) => opts.agentOutputs!.get(a))) add('expression.undeclared_field', u.message, { nodeId: u.nodeId, field: u.field });

  // Graph level
  for (const cycle of findCycles(g))
    add('graph.cycle', `Cycle: ${[...cycle, cycle[0]].join(' → ')}. Workflows are acyclic`, { nodeId: cycle[0], nodeIds: cycle });
  if (triggers.length > 0) {
    const reached = reachable(g, triggers.map((t) => t.id));
    for (const n of nodes.values())
      if (!reached.has(n.id)) add('node.unreachable', `${nodeName(n)} cannot be reached from the trigger`, { nodeId: n.id });
  }
  return problems;
}

function connectionKey(e: { source: string; target: string; sourceHandle?: string | null }): string {
  return `${e.source}\u0000${edgeHandle(e)}\u0000${e.target}`;
}

/** Why an edge cannot exist regardless of the rest of the graph, or null. */
function edgeRefusal(g: Graph, e: { id?: string; source: string; target: string; sourceHandle?: string | null }, connections: ReadonlySet<string>): Problem | null {
  const where: Where = e.id !== undefined ? { edgeId: e.id } : {};
  const src = g.nodes.get(e.source);
  const tgt = g.nodes.get(e.target);
  if (!src || !tgt) {
    const missing = !src ? e.source : e.target;
    return problem('edge.unknown_node', `The edge ${!src ? 'starts' : 'ends'} at '${missing}', which is not a node`, where);
  }
  if (e.source === e.target) return problem('edge.self_loop', `${nodeName(src)} cannot connect to itself`, { ...where, nodeId: src.id });
  if (src.kind === 'end') return problem('end.has_outputs', `An end node cannot continue: ${nodeName(src)} has an outgoing edge`, { ...where, nodeId: src.id });
  if (tgt.kind === 'trigger') return problem('trigger.has_inputs', `A trigger cannot have inputs: ${nodeName(tgt)} has an incoming edge`, { ...where, nodeId: tgt.id });
  const handle = edgeHandle(e);
  const handles = outputHandles(src);
  if (!handles.includes(handle))
    return problem('edge.invalid_handle', `${nodeName(src)} has no output '${handle}' (it has ${handles.map((h) => `'${h}'`).join(', ')})`, { ...where, nodeId: src.id });
  if (connections.has(connectionKey(e)))
    return problem('edge.duplicate', `${nodeName(src)} is already connected to ${nodeName(tgt)} by '${handle}'`, { ...where, nodeId: src.id });
  return null;
}

type Add = (code: ProblemCode, message: string, where?: Where) => void;

/**
 * Checks each map fan-out's branch: the nodes from its one branch up to the joins they reach. Returns the
 * joins that collect a map fan-out's items.
 */
function checkMapBranches(g: Graph, add: Add): Set<string> {
  const joins = new Set<string>();
  for (const f of g.nodes.values()) {
    if (f.kind !== 'fanOut' || f.config.mode !== 'map') continue;
    const starts = g.out.get(f.id)!.filter((e) => edgeHandle(e) === DEFAULT_HANDLE);
    if (starts.length !== 1) continue;
    const body = new Set<string>();
    const reached = new Set<string>();
    const stack = [starts[0]!.target];
    while (stack.length) {
      const id = stack.pop()!;
      const k = g.nodes.get(id)?.kind;
      if (k === 'join') reached.add(id);
      else if (!body.has(id) && id !== f.id) {
        body.add(id);
        for (const e of g.out.get(id) ?? []) stack.push(e.target);
      }
    }
    const at = { nodeId: f.id };
    const bad = [...body].filter((id) => ['end', 'trigger', 'fanOut'].includes(g.nodes.get(id)!.kind));
    if (bad.length) add('fanOut.map_branch_invalid', `The branch of map fan-out ${nodeName(f)} runs once per item, so it cannot hold ${bad.map((id) => nodeName(g.nodes.get(id)!)).join(', ')}: lead it into one join`, { ...at, nodeIds: bad });
    if (reached.size !== 1) {
      if (reached.size > 1) add('fanOut.map_branch_invalid', `The branch of map fan-out ${nodeName(f)} reaches ${reached.size} joins; its items are collected by exactly one`, { ...at, nodeIds: [...reached] });
      else if (bad.length === 0) add('fanOut.map_branch_invalid', `The branch of map fan-out ${nodeName(f)} never reaches a join: its items' results are not collected`, at);
      continue;
    }
    const j = [...reached][0]!;
    const strangers = g.in.get(j)!.filter((e) => !body.has(e.source));
    if (strangers.length) add('fanOut.map_join_shared', `Join ${nodeName(g.nodes.get(j)!)} collects the items of map fan-out ${nodeName(f)}, so no other branch may lead into it`, { nodeId: j, edgeId: strangers[0]!.id });
    joins.add(j);
  }
  return joins;
}

function checkNode(g: Graph, n: WorkflowNode, opts: ValidateOptions, add: Add, mapJoins: ReadonlySet<string>) {
  const at = { nodeId: n.id };
  const ins = g.in.get(n.id)!;
  const outs = g.out.get(n.id)!;
  const byHandle = new Map<string, WorkflowEdge[]>();
  for (const e of outs) byHandle.set(edgeHandle(e), [...(byHandle.get(edgeHandle(e)) ?? []), e]);
  const count = (h: string) => byHandle.get(h)?.length ?? 0;

  // Inputs
  if (n.kind === 'join') {
    if (ins.length < 2 && !mapJoins.has(n.id)) add('join.too_few_inputs', `Join ${nodeName(n)} has ${ins.length} input${ins.length === 1 ? '' : 's'}; it needs at least 2`, at);
  } else if (n.kind !== 'trigger' && ins.length > 1) {
    add('node.multiple_inputs', `${nodeName(n)} has ${ins.length} inputs; only a join may have several (add a join, in 'any' mode for exclusive branches)`, at);
  }

  // Outputs
  if (n.kind !== 'end' && !successHandles(n).some((h) => count(h) > 0))
    add('node.dead_end', `${nodeName(n)} does not continue: connect its ${n.kind === 'approval' ? "'approved' output" : 'output'} to the next step or an end`, at);
  if (n.kind === 'fanOut') {
    const branches = count(DEFAULT_HANDLE);
    if (n.config.mode === 'static' && branches === 1) add('fanOut.too_few_branches', `Fan-out ${nodeName(n)} has 1 branch; a static fan-out needs at least 2`, at);
    if (n.config.mode === 'map' && branches > 1) add('fanOut.too_many_branches', `Fan-out ${nodeName(n)} maps over a list and takes exactly 1 branch; it has ${branches}`, at);
    if (branches > 0 && !branchesMeetAtJoin(g, byHandle.get(DEFAULT_HANDLE)!.map((e) => e.target)))
      add('fanOut.no_join', `The branches of fan-out ${nodeName(n)} never meet at a join: their results are not collected`, at);
  } else {
    for (const [h, es] of byHandle)
      if (es.length > 1) add('node.multiple_outputs', `${nodeName(n)} has ${es.length} edges from '${h}'; only a fan-out may start parallel branches`, at);
  }

  // Kind-specific
  switch (n.kind) {
    case 'agent':
      if (n.config.agent.trim() === '') add('agent.not_set', `Agent node ${nodeName(n)} has no agent selected`, { ...at, field: 'config.agent' });
      else if (opts.agents && !opts.agents.has(n.config.agent) && opts.removedAgents?.has(n.config.agent))
        add('agent.removed', `Agent node ${nodeName(n)} uses '${n.config.agent}', which was removed from the agent registry; choose another agent`, { ...at, field: 'config.agent' });
      else if (opts.agents && !opts.agents.has(n.config.agent))
        add('agent.unknown', `Agent node ${nodeName(n)} uses '${n.config.agent}', which is not in the agent registry`, { ...at, field: 'config.agent' });
      checkMapping(n, 'config.input', n.config.input, add);
      break;
    case 'fanOut':
      if (n.config.mode === 'map') checkExpr(n, 'config.items', n.config.items, add, 'list');
      break;
    case 'join':
      if (n.config.mode === 'quorum' && n.config.quorum !== undefined && ins.length >= 2 && !mapJoins.has(n.id) && n.config.quorum > ins.length)
        add('join.quorum_out_of_range', `Join ${nodeName(n)} needs a quorum of ${n.config.quorum} but has only ${ins.length} inputs`, { ...at, field: 'config.quorum' });
      break;
    case 'router': {
      const seen = new Set<string>();
      n.config.routes.forEach((r, i) => {
        const field = `config.routes.${i}`;
        if (r.id === DEFAULT_HANDLE) add('router.reserved_route_id', `Router ${nodeName(n)}: 'default' is reserved for the default branch`, { ...at, field: `${field}.id` });
        else if (seen.has(r.id)) add('router.duplicate_route', `Router ${nodeName(n)} has two routes named '${r.id}'`, { ...at, field: `${field}.id` });
        else if (count(r.id) === 0 && outs.length > 0) add('router.unused_route', `Route '${r.id}' of ${nodeName(n)} is not connected: when it holds, the run stops there`, { ...at, field });
        seen.add(r.id);
        checkExpr(n, `${field}.condition`, r.condition, add, 'bool');
      });
      if (n.config.routes.length === 0) add('router.no_routes', `Router ${nodeName(n)} has no routes: it always takes the default branch`, at);
      if (count(DEFAULT_HANDLE) === 0 && outs.length > 0) add('router.no_default', `Router ${nodeName(n)} has no default branch for when no route holds`, at);
      break;
    }
    case 'approval':
      if (count('rejected') === 0 && count('approved') > 0)
        add('approval.missing_branch', `Approval ${nodeName(n)} has no 'rejected' branch: a rejection fails the run`, at);
      (n.config.distinctFrom ?? []).forEach((id, i) => {
        const other = g.nodes.get(id);
        if (!other || other.kind !== 'approval' || id === n.id)
          add('approval.distinct_from_invalid', `Approval ${nodeName(n)}: '${id}' is not another approval node of this workflow`, { ...at, field: `config.distinctFrom.${i}` });
      });
      break;
    case 'delay':
      if (n.config.mode === 'until') checkExpr(n, 'config.until', n.config.until, add);
      break;
    case 'setContext':
      if (Object.keys(n.config.patch).length === 0) add('setContext.empty_patch', `Set-context ${nodeName(n)} sets nothing: add at least one key`, { ...at, field: 'config.patch' });
      checkMapping(n, 'config.patch', n.config.patch, add);
      break;
    case 'end':
      checkMapping(n, 'config.output', n.config.output, add);
      break;
    case 'trigger':
      break;
  }
}

function checkMapping(n: WorkflowNode, field: string, mapping: Record<string, string> | undefined, add: Add) {
  for (const [k, src] of Object.entries(mapping ?? {})) checkExpr(n, `${field}.${k}`, src, add);
}

function checkExpr(n: WorkflowNode, field: string, src: string, add: Add, expect?: ExpectedType) {
  const r = checkExpression(src, expect ? { expect } : {});
  if (!r.ok) {
    const why = /unexpected token: eof/i.test(r.message) ? 'it ends too early (a bracket, quote or operand is missing)' : r.message;
    const at = r.position !== undefined && !/ends too early/.test(why) ? ` (at character ${r.position + 1})` : '';
    add('expression.invalid', `${KIND_NOUN[n.kind]} ${nodeName(n)}, ${fieldInWords(n, field)}: ${why}${at}`, { nodeId: n.id, field });
  }
}

const KIND_NOUN: Record<WorkflowNode['kind'], string> = {
  trigger: 'Trigger', agent: 'Agent node', fanOut: 'Fan-out', join: 'Join', router: 'Router', approval: 'Approval', delay: 'Delay', setContext: 'Set-context', end: 'End',
};

/** A config field path (`config.routes.0.condition`) as a person reads it ("the condition of route 'High risk'"). */
function fieldInWords(n: WorkflowNode, field: string): string {
  const route = /^config\.routes\.(\d+)\.condition$/.exec(field);
  if (route && n.kind === 'router') {
    const r = n.config.routes[Number(route[1])];
    return `the condition of route ${r?.label?.trim() ? `'${r.label.trim()}'` : `'${r?.id ?? Number(route[1]) + 1}'`}`;
  }
  const key = /^config\.(input|patch|output)\.(.+)$/.exec(field);
  if (key) return `the ${{ input: 'input', patch: 'state', output: 'output' }[key[1] as 'input' | 'patch' | 'output']} key '${key[2]}'`;
  if (field === 'config.items') return 'the list of items';
  if (field === 'config.until') return 'the time to wait until';
  return field;
}

function reachable(g: Graph, from: string[]): Set<string> {
  const seen = new Set(from);
  const queue = [...from];
  while (queue.length) {
    for (const e of g.out.get(queue.pop()!) ?? []) {
      if (!seen.has(e.target)) {
        seen.add(e.target);
        queue.push(e.target);
      }
    }
  }
  return seen;
}

/** Whether some join is reachable from every branch start. */
function branchesMeetAtJoin(g: Graph, starts: string[]): boolean {
  let common: string[] | null = null;
  for (const s of starts) {
    const joins = new Set([...reachable(g, [s])].filter((id) => g.nodes.get(id)?.kind === 'join'));
    common = (common ?? [...joins]).filter((id) => joins.has(id));
    if (common.length === 0) return false;
  }
  return common !== null;
}

/** One cycle (node ids in order) per strongly connected component of two or more nodes (Tarjan, iterative). */
function findCycles(g: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  for (const root of g.nodes.keys()) {
    if (index.has(root)) continue;
    const work: { id: string; i: number }[] = [{ id: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1]!;
      const outs = g.out.get(top.id)!;
      if (top.i < outs.length) {
        const t = outs[top.i++]!.target;
        if (!index.has(t)) {
          index.set(t, next);
          low.set(t, next++);
          stack.push(t);
          onStack.add(t);
          work.push({ id: t, i: 0 });
        } else if (onStack.has(t)) low.set(top.id, Math.min(low.get(top.id)!, index.get(t)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(top.id)!));
      if (low.get(top.id) === index.get(top.id)) {
        const scc = new Set<string>();
        let id: string;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          scc.add(id);
        } while (id !== top.id);
        if (scc.size > 1) cycles.push(cycleWithin(g, scc, top.id));
      }
    }
  }
  return cycles;
}

/** A simple cycle through `start` inside a strongly connected component (shortest, by BFS). */
function cycleWithin(g: Graph, scc: ReadonlySet<string>, start: string): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of g.out.get(id) ?? []) {
      if (!scc.has(e.target)) continue;
      if (e.target === start) {
        const path = [id];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (!parent.has(e.target)) {
        parent.set(e.target, id);
        queue.push(e.target);
      }
    }
  }
  return [...scc];
}

/** Path from `from` to `to` over the graph's edges (BFS), or null. */
function pathBetween(g: Graph, from: string, to: string): string[] | null {
  const parent = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length) {
    const id = queue.shift()!;
    if (id === to) {
      const path = [to];
      while (path[0] !== from) path.unshift(parent.get(path[0]!)!);
      return path;
    }
    for (const e of g.out.get(id) ?? []) {
      if (!parent.has(e.target)) {
        parent.set(e.target, id);
        queue.push(e.target);
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Untrusted input and the designer's connection check
// ---------------------------------------------------------------------------------------------------------

const MAX_REPORTED_ISSUES = 100;

/**
 * Parses untrusted input (an import, a request body, a draft) and validates it. Zod issues become
 * `document.invalid` problems carrying the node or edge id their path points into; graph checks run only on a
 * document that parses.
 * @example const { doc, problems } = parseAndValidate(JSON.parse(text), { agents })
 */
export function parseAndValidate(raw: unknown, opts: ValidateOptions = {}): { doc?: WorkflowDocument; problems: Problem[] } {
  const r = raw as { nodes?: unknown; edges?: unknown } | null;
  // Refuse oversized arrays before zod walks every element.
  for (const [key, max] of [['nodes', 1000], ['edges', 5000]] as const) {
    const arr = r !== null && typeof r === 'object' ? r[key] : undefined;
    if (Array.isArray(arr) && arr.length > max)
      return { problems: [problem('document.invalid', `${key}: at most ${max} allowed, got ${arr.length}`)] };
  }
  const parsed = WorkflowDocument.safeParse(raw);
  if (parsed.success) return { doc: parsed.data, problems: validateWorkflow(parsed.data, opts) };
  const problems = parsed.error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => {
    const path = issue.path.map(String);
    const where: Where = {};
    const [coll, idx, ...rest] = issue.path;
    if ((coll === 'nodes' || coll === 'edges') && typeof idx === 'number') {
      const item = (r as Record<string, unknown[]>)[coll]?.[idx] as { id?: unknown } | undefined;
      if (typeof item?.id === 'string') where[coll === 'nodes' ? 'nodeId' : 'edgeId'] = item.id;
      if (rest.length) where.field = rest.map(String).join('.');
    }
    return problem('document.invalid', `${path.length ? `${path.join('.')}: ` : ''}${issue.message}`, where);
  });
  if (parsed.error.issues.length > MAX_REPORTED_ISSUES)
    problems.push(problem('document.invalid', `…and ${parsed.error.issues.length - MAX_REPORTED_ISSUES} more problems`));
  return { problems };
}

/**
 * Whether an edge may be drawn: the designer's `isValidConnection`. Refuses what no valid document can
 * contain (unknown nodes, self-loops, an end as source, a trigger as target, a handle the source lacks, the same
 * connection twice, a cycle) and what would need a join or a fan-out (a second input into a non-join node, a
 * second edge from the same handle of a non-fan-out node). When re-routing an existing edge, pass the document
 * without it.
 */
export function canConnect(doc: WorkflowDocument, edge: { source: string; target: string; sourceHandle?: string | null }): Problem | null {
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
  const g: Graph = { nodes, out: new Map(), in: new Map() };
  for (const id of nodes.keys()) {
    g.out.set(id, []);
    g.in.set(id, []);
  }
  const connections = new Set<string>();
  for (const e of doc.edges) {
    if (!nodes.has(e.source) || !nodes.has(e.target)) continue;
    connections.add(connectionKey(e));
    g.out.get(e.source)!.push(e);
    g.in.get(e.target)!.push(e);
  }
  const refusal = edgeRefusal(g, edge, connections);
  if (refusal) return refusal;
  const src = nodes.get(edge.source)!;
  const tgt = nodes.get(edge.target)!;
  const handle = edgeHandle(edge);
  const sameHandle = g.out.get(src.id)!.filter((e) => edgeHandle(e) === handle).length;
  if (src.kind === 'fanOut') {
    if (src.config.mode === 'map' && sameHandle > 0) return problem('fanOut.too_many_branches', `Fan-out ${nodeName(src)} maps over a list and takes exactly 1 branch`, { nodeId: src.id });
  } else if (sameHandle > 0) {
    return problem('node.multiple_outputs', `'${handle}' of ${nodeName(src)} is already connected; use a fan-out for parallel branches`, { nodeId: src.id });
  }
  if (tgt.kind !== 'join' && g.in.get(tgt.id)!.length > 0)
    return problem('node.multiple_inputs', `${nodeName(tgt)} already has an input; only a join may have several`, { nodeId: tgt.id });
  const back = pathBetween(g, tgt.id, src.id);
  if (back) return problem('graph.cycle', `This edge would close a cycle: ${[src.id, ...back].join(' → ')}`, { nodeId: src.id, nodeIds: [src.id, ...back.slice(0, -1)] });
  return null;
}
