/**
 * Random, valid workflow documents for the engine's randomized test: trees of blocks, each with one entry
 * and one exit, nested to a bounded depth:
 *   - an agent (random latency and failure rate, a retry policy), sometimes with an error edge to a
 *     fallback agent that rejoins the main path, or to an end of its own;
 *   - a sequence of two blocks;
 *   - a static fan-out of 2-4 blocks met by a join in `all`, `any` or `quorum k` mode;
 *   - a router with 1-3 conditions on `input` and `results` plus a default, each branch a block met by a
 *     join (`any` or `all`), or going straight to an end.
 * Deterministic for a given PRNG, so a failing seed reproduces the same documents. Every document passes
 * `validateWorkflow` (the generator checks it). Agent failures themselves are not seeded: they happen in
 * the builtin adapter at run time.
 */
import type { Json } from '@/server/spine';
import { WorkflowDocument, type WorkflowDocumentInput } from '@/server/workflows/schema';
import { validateWorkflow } from '@/server/workflows/validate';

type NodeInput = WorkflowDocumentInput['nodes'][number];
type EdgeInput = WorkflowDocumentInput['edges'][number];

/** The config of a builtin `echo` agent the generated document uses. */
export type RandomAgent = { name: string; config: { behaviour: 'echo'; latencyMs: number; failureRate: number } };

export type RandomWorkflow = { document: WorkflowDocument; agents: RandomAgent[]; counts: Record<string, number> };

export function randomWorkflow(random: () => number, prefix: string, opts: { maxDepth?: number; maxAgents?: number } = {}): RandomWorkflow {
  const maxDepth = opts.maxDepth ?? 3;
  const maxAgents = opts.maxAgents ?? 14;
  const nodes: NodeInput[] = [];
  const edges: EdgeInput[] = [];
  const agents: RandomAgent[] = [];
  const counts: Record<string, number> = {};
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  let n = 0;
  const id = (kind: string) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    return `${kind}${n++}`;
  };
  const edge = (source: string, target: string, sourceHandle?: string) =>
    edges.push({ id: `e${edges.length}`, source, target, ...(sourceHandle !== undefined && { sourceHandle }) });
  const end = (outcome: 'success' | 'failure') => {
    const e = id(outcome === 'success' ? 'end' : 'fail');
    nodes.push({ id: e, kind: 'end', config: { outcome } });
    return e;
  };
  /** Ids of agents already placed: conditions may read their results (guarded by `has`). */
  const placed: string[] = [];

  const agentNode = (o: { reliable?: boolean } = {}) => {
    const a = id('a');
    const name = `${prefix}-${a}`;
    const failureRate = o.reliable ? 0 : pick([0, 0, 0, 0.15, 0.4]);
    agents.push({ name, config: { behaviour: 'echo', latencyMs: int(0, 20), failureRate } });
    const maxAttempts = o.reliable ? 1 : int(1, 4);
    nodes.push({ id: a, kind: 'agent', config: { agent: name, retry: { maxAttempts, initialBackoffMs: int(0, 8), backoffMultiplier: 2, maxBackoffMs: 20, jitter: 0.5 } } });
    placed.push(a);
    return a;
  };

  const condition = (): string => {
    const read = placed.length > 0 && random() < 0.6 ? pick(placed) : null;
    if (read) return `has(results.${read}) && results.${read}.echo.n ${pick(['>', '<', '>='])} ${int(10, 90)}`;
    return pick([`input.n % ${int(2, 4)} == 0`, `input.n > ${int(10, 90)}`, `input.tag == "${pick(['x', 'y'])}"`]);
  };

  type Block = { entry: string; exit: string };

  const block = (depth: number): Block => {
    const budgetLeft = agents.length < maxAgents;
    const r = random();
    if (depth >= maxDepth || !budgetLeft || r < 0.3) return agentBlock();
    if (r < 0.5) {
      const first = block(depth + 1);
      const second = block(depth + 1);
      edge(first.exit, second.entry);
      return { entry: first.entry, exit: second.exit };
    }
    if (r < 0.8) return fanBlock(depth);
    return routerBlock(depth);
  };

  const agentBlock = (): Block => {
    const a = agentNode();
    const r = random();
    if (r < 0.15) {
      // error edge to a fallback that rejoins
      const f = agentNode({ reliable: true });
      const j = id('join');
      nodes.push({ id: j, kind: 'join', config: { mode: pick(['all', 'any'] as const) } });
      edge(a, f, 'error');
      edge(a, j);
      edge(f, j);
      return { entry: a, exit: j };
    }
    if (r < 0.25) edge(a, end(pick(['success', 'failure'] as const)), 'error');
    return { entry: a, exit: a };
  };

  const fanBlock = (depth: number): Block => {
    const f = id('fan');
    nodes.push({ id: f, kind: 'fanOut', config: { mode: 'static' } });
    const k = int(2, 4);
    const branches = Array.from({ length: k }, () => block(depth + 1));
    const mode = pick(['all', 'all', 'any', 'quorum'] as const);
    const j = id('join');
    nodes.push({ id: j, kind: 'join', config: { mode, ...(mode === 'quorum' && { quorum: int(1, k) }) } });
    for (const b of branches) {
      edge(f, b.entry);
      edge(b.exit, j);
    }
    return { entry: f, exit: j };
  };

  const routerBlock = (depth: number): Block => {
    const r = id('router');
    const routes = Array.from({ length: int(1, 3) }, (_, i) => ({ id: `r${i}`, condition: condition() }));
    nodes.push({ id: r, kind: 'router', config: { routes } });
    const continuing: Block[] = [];
    for (const handle of [...routes.map((x) => x.id), 'default']) {
      if (handle !== 'default' && random() < 0.3) {
        edge(r, end(pick(['success', 'failure'] as const)), handle);
        continue;
      }
      const b = block(depth + 1);
      edge(r, b.entry, handle);
      continuing.push(b);
    }
    if (continuing.length === 1) return { entry: r, exit: continuing[0]!.exit };
    const j = id('join');
    nodes.push({ id: j, kind: 'join', config: { mode: pick(['any', 'all'] as const) } });
    for (const b of continuing) edge(b.exit, j);
    return { entry: r, exit: j };
  };

  const t = id('trigger');
  nodes.push({ id: t, kind: 'trigger', config: { mode: 'manual' } });
  const main = block(0);
  edge(t, main.entry);
  edge(main.exit, end('success'));

  const document = WorkflowDocument.parse({ formatVersion: 1, nodes, edges });
  const errors = validateWorkflow(document, { agents: new Set(agents.map((a) => a.name)) }).filter((p) => p.severity === 'error');
  if (errors.length) throw new Error(`randomWorkflow produced an invalid document: ${JSON.stringify(errors)}`);
  return { document, agents, counts };
}

/** A random run input the generated conditions read. */
export function randomInput(random: () => number): Record<string, Json> {
  return { n: Math.floor(random() * 100), tag: random() < 0.5 ? 'x' : 'y' };
}
