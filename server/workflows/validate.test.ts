import { describe, expect, it } from 'vitest';
import { WorkflowDocument, type WorkflowDocumentInput } from './schema';
import { PROBLEM_CODES, canConnect, parseAndValidate, validateWorkflow, type Problem, type ProblemCode } from './validate';

type NodeIn = WorkflowDocumentInput['nodes'][number];
type EdgeIn = WorkflowDocumentInput['edges'][number];

const node = (id: string, kind: NodeIn['kind'], config?: object): NodeIn => ({ id, kind, ...(config && { config }) }) as NodeIn;
/** `a>b` or `a>b:handle`. */
const edge = (spec: string): EdgeIn => {
  const [, source, target, sourceHandle] = /^([^>]+)>([^:]+)(?::(.+))?$/.exec(spec)!;
  return { id: spec, source: source!, target: target!, ...(sourceHandle !== undefined && { sourceHandle }) };
};
const docOf = (nodes: NodeIn[], edges: string[]): WorkflowDocument => WorkflowDocument.parse({ formatVersion: 1, nodes, edges: edges.map(edge) });

const T = node('t', 'trigger');
const A = node('a', 'agent', { agent: 'worker' });
const END = node('end', 'end');
/** trigger → agent → end: the smallest valid workflow. */
const line = (middle: NodeIn[] = [A], edges = ['t>a', 'a>end']) => docOf([T, ...middle, END], edges);

/**
 * A valid workflow using every kind and every handle: trigger → fan-out → two agents → join → set-context →
 * router (route → approval (approved → delay → end, rejected → end), default → end), agent error edge → end.
 */
const FULL = docOf(
  [
    node('t', 'trigger', { mode: 'event', eventType: 'order.*' }),
    node('fan', 'fanOut'),
    node('a', 'agent', { agent: 'worker', input: { amount: 'input.amount' }, outputKey: 'a' }),
    node('b', 'agent', { agent: 'worker' }),
    node('join', 'join', { mode: 'quorum', quorum: 2, timeoutMs: 1000 }),
    node('ctx', 'setContext', { patch: { seen: 'true' } }),
    node('route', 'router', { routes: [{ id: 'big', condition: 'input.amount > 100' }] }),
    node('gate', 'approval', { slaMs: 60_000 }),
    node('wait', 'delay', { mode: 'until', until: 'timestamp(now) + duration("1h")' }),
    node('done', 'end', { output: { total: 'results.a' } }),
    node('refused', 'end', { outcome: 'failure' }),
    node('small', 'end'),
    node('broken', 'end', { outcome: 'failure' }),
  ],
  ['t>fan', 'fan>a', 'fan>b', 'a>join', 'b>join', 'a>broken:error', 'join>ctx', 'ctx>route', 'route>gate:big', 'route>small:default', 'gate>wait:approved', 'gate>refused:rejected', 'wait>done'],
);
const AGENTS = new Set(['worker']);

const codes = (doc: WorkflowDocument, opts = {}) => validateWorkflow(doc, opts).map((p) => p.code);
const find = (problems: Problem[], code: ProblemCode) => problems.find((p) => p.code === code);

/** For every code: a minimal document that triggers it, and the id the problem must carry. */
const CASES: { code: ProblemCode; doc: () => WorkflowDocument; opts?: object; at?: { nodeId?: string; edgeId?: string } }[] = [
  { code: 'workflow.no_trigger', doc: () => docOf([A, END], ['a>end']) },
  { code: 'workflow.multiple_triggers', doc: () => docOf([T, node('t2', 'trigger'), node('j', 'join'), END], ['t>j', 't2>j', 'j>end']), at: { nodeId: 't2' } },
  { code: 'workflow.no_end', doc: () => docOf([T, A], ['t>a']) },
  { code: 'node.duplicate_id', doc: () => line([A, node('a', 'agent', { agent: 'worker' })]), at: { nodeId: 'a' } },
  { code: 'node.unreachable', doc: () => line([A, node('lost', 'agent', { agent: 'worker' })], ['t>a', 'a>end', 'lost>end']), at: { nodeId: 'lost' } },
  { code: 'node.dead_end', doc: () => docOf([T, A, END, node('b', 'agent', { agent: 'worker' })], ['t>a', 'a>end', 'a>b:error']), at: { nodeId: 'b' } },
  { code: 'node.multiple_inputs', doc: () => docOf([T, node('r', 'router', { routes: [{ id: 'x', condition: 'true' }] }), A, END], ['t>r', 'r>a:x', 'r>a:default', 'a>end']), at: { nodeId: 'a' } },
  { code: 'node.multiple_outputs', doc: () => docOf([T, A, END, node('end2', 'end')], ['t>a', 'a>end', 'a>end2']), at: { nodeId: 'a' } },
  { code: 'edge.duplicate_id', doc: () => WorkflowDocument.parse({ ...line(), edges: [...line().edges, { ...line().edges[0]!, target: 'end' }] }), at: { edgeId: 't>a' } },
  { code: 'edge.duplicate', doc: () => WorkflowDocument.parse({ ...line(), edges: [...line().edges, { ...line().edges[0]!, id: 'again' }] }), at: { edgeId: 'again' } },
  { code: 'edge.unknown_node', doc: () => line([A], ['t>a', 'a>end', 'a>ghost:error']), at: { edgeId: 'a>ghost:error' } },
  { code: 'edge.invalid_handle', doc: () => line([A], ['t>a', 'a>end', 'a>end:approved']), at: { edgeId: 'a>end:approved', nodeId: 'a' } },
  { code: 'edge.self_loop', doc: () => line([A], ['t>a', 'a>end', 'a>a:error']), at: { edgeId: 'a>a:error', nodeId: 'a' } },
  { code: 'graph.cycle', doc: () => docOf([T, node('j', 'join'), A, node('b', 'agent', { agent: 'worker' }), END], ['t>j', 'j>a', 'a>b', 'b>j', 'a>end:error']), at: { nodeId: 'j' } },
  { code: 'trigger.has_inputs', doc: () => line([A], ['t>a', 'a>end', 'a>t:error']), at: { nodeId: 't', edgeId: 'a>t:error' } },
  { code: 'end.has_outputs', doc: () => docOf([T, A, END, node('end2', 'end')], ['t>a', 'a>end', 'end>end2']), at: { nodeId: 'end', edgeId: 'end>end2' } },
  { code: 'agent.not_set', doc: () => line([node('a', 'agent')]), at: { nodeId: 'a' } },
  { code: 'agent.unknown', doc: () => line([node('a', 'agent', { agent: 'nobody' })]), opts: { agents: AGENTS }, at: { nodeId: 'a' } },
  { code: 'agent.removed', doc: () => line([node('a', 'agent', { agent: 'retired' })]), opts: { agents: AGENTS, removedAgents: new Set(['retired']) }, at: { nodeId: 'a' } },
  { code: 'join.too_few_inputs', doc: () => line([node('j', 'join')], ['t>j', 'j>end']), at: { nodeId: 'j' } },
  {
    code: 'join.quorum_out_of_range',
    doc: () => docOf([T, node('f', 'fanOut'), A, node('b', 'agent', { agent: 'worker' }), node('j', 'join', { mode: 'quorum', quorum: 3 }), END], ['t>f', 'f>a', 'f>b', 'a>j', 'b>j', 'j>end']),
    at: { nodeId: 'j' },
  },
  { code: 'router.no_default', doc: () => line([node('r', 'router', { routes: [{ id: 'x', condition: 'true' }] })], ['t>r', 'r>end:x']), at: { nodeId: 'r' } },
  {
    code: 'router.duplicate_route',
    doc: () => line([node('r', 'router', { routes: [{ id: 'x', condition: 'true' }, { id: 'x', condition: 'false' }] })], ['t>r', 'r>end:default']),
    at: { nodeId: 'r' },
  },
  { code: 'router.reserved_route_id', doc: () => line([node('r', 'router', { routes: [{ id: 'default', condition: 'true' }] })], ['t>r', 'r>end:default']), at: { nodeId: 'r' } },
  { code: 'router.unused_route', doc: () => line([node('r', 'router', { routes: [{ id: 'x', condition: 'true' }] })], ['t>r', 'r>end:default']), at: { nodeId: 'r' } },
  { code: 'router.no_routes', doc: () => line([node('r', 'router')], ['t>r', 'r>end']), at: { nodeId: 'r' } },
  { code: 'approval.missing_branch', doc: () => line([node('g', 'approval')], ['t>g', 'g>end:approved']), at: { nodeId: 'g' } },
  { code: 'fanOut.too_few_branches', doc: () => docOf([T, node('f', 'fanOut'), A, END], ['t>f', 'f>a', 'a>end']), at: { nodeId: 'f' } },
  {
    code: 'fanOut.too_many_branches',
    doc: () => docOf([T, node('f', 'fanOut', { mode: 'map', items: 'input.items' }), A, node('b', 'agent', { agent: 'worker' }), node('j', 'join'), END], ['t>f', 'f>a', 'f>b', 'a>j', 'b>j', 'j>end']),
    at: { nodeId: 'f' },
  },
  { code: 'fanOut.no_join', doc: () => docOf([T, node('f', 'fanOut'), A, END, node('end2', 'end')], ['t>f', 'f>a', 'f>end2', 'a>end']), at: { nodeId: 'f' } },
  {
    code: 'fanOut.map_branch_invalid',
    doc: () => docOf([T, node('f', 'fanOut', { mode: 'map', items: 'input.items' }), A, END], ['t>f', 'f>a', 'a>end']),
    at: { nodeId: 'f' },
  },
  {
    code: 'fanOut.map_join_shared',
    doc: () => docOf([T, node('r', 'router', { routes: [{ id: 'x', condition: 'true' }] }), node('f', 'fanOut', { mode: 'map', items: 'input.items' }), A, node('j', 'join', { mode: 'any' }), END], ['t>r', 'r>f:x', 'r>j:default', 'f>a', 'a>j', 'j>end']),
    at: { nodeId: 'j' },
  },
  {
    code: 'approval.distinct_from_invalid',
    doc: () => line([node('g', 'approval', { distinctFrom: ['a'] }), A], ['t>a', 'a>g', 'g>end:approved']),
    at: { nodeId: 'g' },
  },
  { code: 'setContext.empty_patch', doc: () => line([node('s', 'setContext')], ['t>s', 's>end']), at: { nodeId: 's' } },
  { code: 'expression.invalid', doc: () => line([node('s', 'setContext', { patch: { x: 'input.amount +' } })], ['t>s', 's>end']), at: { nodeId: 's' } },
  {
    code: 'expression.undeclared_field',
    doc: () => line([A, node('s', 'setContext', { patch: { x: 'results.a.score' } })], ['t>a', 'a>s', 's>end']),
    opts: { agentOutputs: new Map([['worker', { type: 'object', properties: { risk: { type: 'string' } } }]]) },
    at: { nodeId: 's' },
  },
];

describe('validateWorkflow', () => {
  it('accepts a map fan-out whose one branch leads into a join with a single input, whatever its quorum', () => {
    const map = (join: object) =>
      docOf([T, node('f', 'fanOut', { mode: 'map', items: 'input.items', concurrency: 10 }), A, node('b', 'agent', { agent: 'worker' }), node('j', 'join', join), END], ['t>f', 'f>a', 'a>b', 'b>j', 'j>end']);
    expect(validateWorkflow(map({ mode: 'all' }), { agents: AGENTS })).toEqual([]);
    expect(validateWorkflow(map({ mode: 'quorum', quorum: 7 }), { agents: AGENTS })).toEqual([]);
    // The same join after a static fan-out still needs two inputs.
    expect(codes(docOf([T, node('f', 'fanOut'), A, node('j', 'join'), END], ['t>f', 'f>a', 'a>j', 'j>end']))).toContain('join.too_few_inputs');
    // A branch that reaches an end, or two joins, is refused.
    expect(codes(docOf([T, node('f', 'fanOut', { mode: 'map', items: 'input.items' }), A, node('j', 'join'), END, node('end2', 'end')], ['t>f', 'f>a', 'a>j', 'a>end2:error', 'j>end']))).toContain('fanOut.map_branch_invalid');
  });

  it('accepts a join error edge and an approval that must be decided by someone else than another approval', () => {
    const doc = docOf(
      [T, node('f', 'fanOut'), A, node('b', 'agent', { agent: 'worker' }), node('j', 'join', { mode: 'any' }), node('g1', 'approval'), node('g2', 'approval', { distinctFrom: ['g1'] }), END, node('failed', 'end', { outcome: 'failure' }), node('r1', 'end', { outcome: 'failure' }), node('r2', 'end', { outcome: 'failure' })],
      ['t>f', 'f>a', 'f>b', 'a>j', 'b>j', 'j>g1', 'j>failed:error', 'g1>g2:approved', 'g1>r1:rejected', 'g2>end:approved', 'g2>r2:rejected'],
    );
    expect(validateWorkflow(doc, { agents: AGENTS })).toEqual([]);
  });

  it('finds nothing wrong with a valid workflow that uses every kind and handle', () => {
    expect(validateWorkflow(FULL, { agents: AGENTS })).toEqual([]);
    expect(validateWorkflow(line(), { agents: AGENTS })).toEqual([]);
  });

  it('has a case for every code it can emit (document.invalid comes from parseAndValidate)', () => {
    const covered = new Set<string>([...CASES.map((c) => c.code), 'document.invalid']);
    expect(Object.keys(PROBLEM_CODES).filter((c) => !covered.has(c))).toEqual([]);
  });

  it.each(CASES.map((c) => [c.code, c] as const))('%s: raised by a minimal document, on the right node or edge', (code, c) => {
    const problems = validateWorkflow(c.doc(), c.opts);
    const p = find(problems, code);
    expect(p, JSON.stringify(problems)).toBeDefined();
    expect(p!.severity).toBe(PROBLEM_CODES[code]);
    if (c.at) expect(p).toMatchObject(c.at);
    expect(codes(FULL, { agents: AGENTS })).not.toContain(code);
  });

  it('names the nodes of a cycle in order', () => {
    const doc = docOf(
      [T, node('j', 'join'), node('a', 'agent', { agent: 'w' }), node('b', 'agent', { agent: 'w' }), node('c', 'agent', { agent: 'w' }), END],
      ['t>j', 'j>a', 'a>b', 'b>c', 'c>j', 'a>end:error'],
    );
    const cycle = find(validateWorkflow(doc), 'graph.cycle')!;
    expect(cycle.nodeIds).toEqual(['j', 'a', 'b', 'c']);
    expect(cycle.message).toContain('j → a → b → c → j');
  });

  it('reports each separate cycle once', () => {
    const doc = docOf(
      [T, node('f', 'fanOut'), node('j1', 'join'), node('a', 'agent', { agent: 'w' }), node('j2', 'join'), node('b', 'agent', { agent: 'w' }), END, node('end2', 'end')],
      ['t>f', 'f>j1', 'f>j2', 'j1>a', 'a>j1', 'j2>b', 'b>j2', 'a>end:error', 'b>end2:error'],
    );
    expect(validateWorkflow(doc).filter((p) => p.code === 'graph.cycle').map((p) => p.nodeIds)).toEqual([
      ['j1', 'a'],
      ['j2', 'b'],
    ]);
  });

  it('points expression problems at the field', () => {
    const doc = line([node('r', 'router', { routes: [{ id: 'ok', condition: 'true' }, { id: 'bad', condition: 'nope == 1' }] }), node('end2', 'end'), node('end3', 'end')], [
      't>r',
      'r>end:ok',
      'r>end2:bad',
      'r>end3:default',
    ]);
    expect(find(validateWorkflow(doc), 'expression.invalid')).toMatchObject({ nodeId: 'r', field: 'config.routes.1.condition' });
  });

  it('says in words which step and which route an expression problem is in', () => {
    const doc = line([{ ...node('r', 'router', { routes: [{ id: 'hi', label: 'High risk', condition: 'results.summarizer.risk == "high' }] }), label: 'Risk level' }, node('end2', 'end')], ['t>r', 'r>end:hi', 'r>end2:default']);
    const message = find(validateWorkflow(doc), 'expression.invalid')?.message ?? '';
    expect(message).toMatch(/^Router 'Risk level' \(r\), the condition of route 'High risk': /);
    expect(message).not.toMatch(/config\.routes/);
  });

  it('checks expressions everywhere, with the type the field needs', () => {
    const bad = (nodes: NodeIn[], edges: string[]) => validateWorkflow(docOf(nodes, edges)).filter((p) => p.code === 'expression.invalid').map((p) => p.field);
    expect(bad([T, node('a', 'agent', { agent: 'w', input: { x: 'input.' } }), END], ['t>a', 'a>end'])).toEqual(['config.input.x']);
    expect(bad([T, node('f', 'fanOut', { mode: 'map', items: '"not a list"' }), A, node('j', 'join'), END], ['t>f', 'f>a', 'a>j', 'j>end'])).toEqual(['config.items']);
    expect(bad([T, node('r', 'router', { routes: [{ id: 'x', condition: '1 + 1' }] }), END, node('e2', 'end')], ['t>r', 'r>end:x', 'r>e2:default'])).toEqual([
      'config.routes.0.condition',
    ]);
    expect(bad([T, node('d', 'delay', { mode: 'until', until: 'tomorrow' }), END], ['t>d', 'd>end'])).toEqual(['config.until']);
    expect(bad([T, A, node('end', 'end', { output: { x: 'state.a.matches("x")' } })], ['t>a', 'a>end'])).toEqual(['config.output.x']);
  });

  it('accepts an unnamed handle and "default" alike on plain outputs', () => {
    expect(validateWorkflow(line([A], ['t>a:default', 'a>end']))).toEqual([]);
  });

  it('lets a join merge exclusive router branches', () => {
    const doc = docOf(
      [T, node('r', 'router', { routes: [{ id: 'x', condition: 'input.a' }] }), A, node('j', 'join', { mode: 'any' }), node('b', 'agent', { agent: 'w' }), END],
      ['t>r', 'r>a:x', 'r>j:default', 'a>j', 'j>b', 'b>end'],
    );
    expect(validateWorkflow(doc)).toEqual([]);
  });

  it('validates a 1,000-node workflow quickly', () => {
    const n = 998;
    const nodes: NodeIn[] = [T, ...Array.from({ length: n }, (_, i) => node(`a${i}`, 'agent', { agent: 'w', input: { x: `input.v + ${i}` } })), END];
    const edges = ['t>a0', ...Array.from({ length: n - 1 }, (_, i) => `a${i}>a${i + 1}`), `a${n - 1}>end`];
    const doc = docOf(nodes, edges);
    const t0 = performance.now();
    expect(validateWorkflow(doc)).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('parseAndValidate: untrusted input', () => {
  it('returns the parsed document and its problems', () => {
    const r = parseAndValidate(JSON.parse(JSON.stringify(FULL)), { agents: AGENTS });
    expect(r.problems).toEqual([]);
    expect(r.doc).toEqual(FULL);
    expect(parseAndValidate({ formatVersion: 1, nodes: [{ id: 'x', kind: 'agent' }], edges: [] }).problems.map((p) => p.code)).toContain('workflow.no_trigger');
  });

  it.each([
    ['an unknown kind', { formatVersion: 1, nodes: [{ id: 'n1', kind: 'script', config: {} }], edges: [] }, { nodeId: 'n1', field: 'kind' }],
    ['an unknown node field', { formatVersion: 1, nodes: [{ id: 'n1', kind: 'end', onClick: 'x' }], edges: [] }, { nodeId: 'n1' }],
    ['an unknown config field', { formatVersion: 1, nodes: [{ id: 'n1', kind: 'agent', config: { agent: 'a', shell: 'rm' } }], edges: [] }, { nodeId: 'n1', field: 'config' }],
    ['a bad config value', { formatVersion: 1, nodes: [{ id: 'n1', kind: 'agent', config: { agent: 'a', timeoutMs: -1 } }], edges: [] }, { nodeId: 'n1', field: 'config.timeoutMs' }],
    ['a bad edge', { formatVersion: 1, nodes: [], edges: [{ id: 'e1', source: 'a b', target: 'c' }] }, { edgeId: 'e1', field: 'source' }],
    ['a wrong version', { formatVersion: 2, nodes: [], edges: [] }, {}],
    ['an extra top-level key', { formatVersion: 1, nodes: [], edges: [], script: 'x' }, {}],
    ['not an object', 'hello', {}],
    ['null', null, {}],
  ])('refuses %s as document.invalid', (_name, raw, at) => {
    const r = parseAndValidate(raw);
    expect(r.doc).toBeUndefined();
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.problems.every((p) => p.code === 'document.invalid' && p.severity === 'error')).toBe(true);
    expect(r.problems[0]).toMatchObject(at);
  });

  it('refuses oversized documents without walking them', () => {
    // Counted, not timed: a wall-clock bound fails on a busy machine, a count of element reads does not.
    let read = 0;
    const nodes = new Proxy(Array.from({ length: 200_000 }, (_, i) => ({ id: `n${i}`, kind: 'end' })), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) read++;
        return Reflect.get(target, key, receiver);
      },
    });
    const r = parseAndValidate({ formatVersion: 1, nodes, edges: [] });
    expect(r.problems.map((p) => p.code)).toEqual(['document.invalid']);
    expect(read, 'nodes read').toBe(0);
  });

  it('caps the number of reported issues', () => {
    const nodes = Array.from({ length: 500 }, (_, i) => ({ id: `n${i}`, kind: 'nope' }));
    expect(parseAndValidate({ formatVersion: 1, nodes, edges: [] }).problems.length).toBeLessThanOrEqual(101);
  });
});

describe('canConnect: the designer refuses what cannot be valid', () => {
  const base = docOf(
    [T, node('f', 'fanOut'), A, node('b', 'agent', { agent: 'w' }), node('j', 'join'), node('r', 'router', { routes: [{ id: 'hi', condition: 'true' }] }), node('g', 'approval'), END],
    ['t>f', 'f>a', 'f>b', 'a>j', 'b>j', 'j>r'],
  );
  const refusal = (source: string, target: string, sourceHandle?: string | null) => canConnect(base, { source, target, sourceHandle })?.code ?? null;

  it.each([
    ['r', 'g', 'hi', null],
    ['r', 'end', 'default', null],
    ['r', 'end', null, null],
    ['a', 'end', 'error', null],
    ['g', 'end', 'approved', null],
    ['f', 'g', undefined, null], // a third static branch
    ['r', 'j', 'hi', 'graph.cycle'],
    ['a', 'a', 'error', 'edge.self_loop'],
    ['r', 'ghost', 'hi', 'edge.unknown_node'],
    ['r', 'g', 'nope', 'edge.invalid_handle'],
    ['a', 'g', 'approved', 'edge.invalid_handle'],
    ['g', 'end', undefined, 'edge.invalid_handle'],
    ['r', 't', 'hi', 'trigger.has_inputs'],
    ['end', 'g', undefined, 'end.has_outputs'],
    ['f', 'a', undefined, 'edge.duplicate'],
    ['a', 'g', undefined, 'node.multiple_outputs'],
    ['r', 'a', 'hi', 'node.multiple_inputs'],
  ])('%s → %s by %s: %s', (source, target, handle, expected) => {
    expect(refusal(source, target, handle)).toBe(expected);
  });

  it('names the cycle it would close', () => {
    expect(canConnect(base, { source: 'r', target: 'f', sourceHandle: 'hi' })).toMatchObject({ code: 'node.multiple_inputs' });
    const open = docOf([T, A, node('b', 'agent', { agent: 'w' }), node('j', 'join'), END], ['t>j', 'j>a', 'a>b']);
    expect(canConnect(open, { source: 'b', target: 'j' })).toMatchObject({ code: 'graph.cycle', nodeIds: ['b', 'j', 'a'] });
  });

  it('refuses a second branch of a map fan-out', () => {
    const doc = docOf([T, node('f', 'fanOut', { mode: 'map', items: 'input.xs' }), A, node('b', 'agent', { agent: 'w' })], ['t>f', 'f>a']);
    expect(canConnect(doc, { source: 'f', target: 'b' })).toMatchObject({ code: 'fanOut.too_many_branches' });
  });

  it('agrees with validateWorkflow: an accepted edge adds no problem of its kind', () => {
    const doc = line([A], ['t>a']);
    expect(canConnect(doc, { source: 'a', target: 'end' })).toBeNull();
    expect(validateWorkflow(docOf([T, A, END], ['t>a', 'a>end']))).toEqual([]);
  });
});
