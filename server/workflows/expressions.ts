/**
 * The one expression language of workflows: CEL (Common Expression Language, as in Kubernetes and Envoy),
 * through `@marcbachmann/cel-js`. Router conditions, input/output mappings, fan-out items, delay instants and
 * context patches all go through here. Isomorphic: the designer previews with the same evaluator the engine
 * runs. Never `eval`, `new Function` or a JavaScript sandbox: CEL has no host access and no loops of its own,
 * and user text is only ever parsed by the CEL parser.
 *
 * An expression sees exactly these names (anything else is `expression.invalid`):
 *   input        the run input (JSON)                  results      outputs of completed nodes, by node id
 *   state        the envelope state (map)              item         the current item in a map fan-out
 *                                                      index        its position in the list (0-based)
 *   intent       the run intent (string or null)       now          the decision time, ISO-8601 (`timestamp(now)`)
 *   constraints  the run constraints (map)
 * Node ids with `-` are read with brackets: `results["case-law"].citations`.
 *
 * Numbers. JSON numbers arrive as CEL doubles and CEL literals are ints (BigInt in JS), so this module adds
 * mixed int/double arithmetic (`input.amount + 1`, `item * 2`, `input.n % 2`, all giving doubles);
 * comparisons across int and double work natively. Results come back as plain JSON: ints become numbers
 * (an int beyond ±2^53 is an error rather than a silent rounding), maps become objects, timestamps ISO
 * strings, durations milliseconds, bytes base64.
 *
 * Bounds (see EXPRESSION_LIMITS), so no expression can hang or exhaust a process:
 *   - static: source ≤ 2,000 chars; ≤ 500 AST nodes; nesting ≤ 32 (parentheses, calls, lists, members);
 *     list/map literals ≤ 256 entries; ≤ 8 call arguments; `matches()` is refused (JavaScript's RegExp
 *     backtracks: `a*a*b` on 10,000 chars runs for minutes, and CEL's RE2 guarantee cannot be kept here).
 *   - dynamic, deterministic: ≤ 250,000 evaluation steps (one per AST node evaluated, so every comprehension
 *     iteration counts: `l.map(x, l.map(y, ...))` is bounded however big `l` is); every value the expression
 *     builds (lists, maps, strings, concatenations, function results) ≤ 1,000,000 units (a char, an element or
 *     an entry each; shared sub-values counted every time they appear, so `.map(x, [x, x])` chained 24 times
 *     is caught although it allocates little);
 *     the JSON result ≤ the same size. Values merely read from the context (`input.document`) are not
 *     charged; a function returning one (`dyn(input)`) is.
 *   - dynamic, backstop: 250 ms of wall time, checked after every step that can cost up to the size of its
 *     operands (equality, `in`, comparisons, `+`, calls) and every 1,024 steps otherwise, so repeated deep
 *     comparisons of big values stop too. Not deterministic, hence set well above what the step budget allows
 *     for cheap steps (250,000 steps take ~20-100 ms here, cold).
 * The step and size guards sit on the library's evaluator (`run`), reached once at load through a probe
 * function. That is internal to cel-js, so the version is pinned and a test proves the guard trips; if it
 * cannot be installed, `evaluate` fails closed.
 *
 * Compiled ASTs are cached by source (LRU, 1,000 entries).
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { ValidationError } from '@/server/errors';
import type { Json } from '@/server/spine/events';

export const EXPRESSION_LIMITS = {
  maxSourceLength: 2000,
  maxAstNodes: 500,
  maxDepth: 32,
  maxListElements: 256,
  maxMapEntries: 256,
  maxCallArguments: 8,
  maxSteps: 250_000,
  maxValueSize: 1_000_000,
  maxWallMs: 250,
  cacheEntries: 1000,
} as const;

/** The names an expression may use, with their CEL types (as declared to the checker). */
export const EXPRESSION_VARIABLES = {
  input: 'dyn',
  state: 'map',
  intent: 'dyn',
  constraints: 'map',
  results: 'map',
  item: 'dyn',
  index: 'dyn',
  now: 'dyn',
} as const;
export type ExpressionVariable = keyof typeof EXPRESSION_VARIABLES;

export type ExpressionContext = {
  input: unknown;
  state: Record<string, unknown>;
  intent: string | null;
  constraints: Record<string, unknown>;
  /** Outputs of completed nodes, by node id. */
  results: Record<string, unknown>;
  /** The current item of a map fan-out branch. */
  item?: unknown;
  /** The current item's position in the list (0-based). */
  index?: number;
  /** Decision time, ISO-8601. Passed in (never read from a clock here) so evaluations replay identically. */
  now?: string;
};

export type ExpressionErrorCode = 'expression.invalid' | 'expression.eval_failed';

/** A CEL expression that does not compile (`expression.invalid`) or fails while evaluating (`expression.eval_failed`). */
export class ExpressionError extends ValidationError {
  /** Offset in the source the problem points at, when known. */
  readonly position: number | undefined;
  constructor(
    code: ExpressionErrorCode,
    message: string,
    details: { source?: string; position?: number; celCode?: string; limit?: ExpressionLimit } = {},
  ) {
    super(code, message, details);
    this.name = 'ExpressionError';
    this.position = details.position;
  }
}

export type CheckResult = { ok: true } | { ok: false; message: string; position?: number };

/** What a checked expression must produce (beyond `dyn`, which is checked when evaluated). */
export type ExpectedType = 'bool' | 'list';

// ---------------------------------------------------------------------------------------------------------
// The environment
// ---------------------------------------------------------------------------------------------------------

const L = EXPRESSION_LIMITS;
const PROBE = '__spineGuardProbe';
/** Functions refused at check time (see header). */
const REFUSED_FUNCTIONS: Record<string, string> = {
  matches: 'matches() is not available (regular expressions can take unbounded time); use contains, startsWith or endsWith',
  [PROBE]: 'unknown function',
};

const env = new Environment({
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: L.maxAstNodes, maxDepth: L.maxDepth, maxListElements: L.maxListElements, maxMapEntries: L.maxMapEntries, maxCallArguments: L.maxCallArguments },
});
for (const [name, type] of Object.entries(EXPRESSION_VARIABLES)) env.registerVariable(name, type);

// Mixed int/double arithmetic: JSON numbers are doubles, CEL literals are ints.
const num = (v: unknown) => Number(v as bigint | number);
const MIXED: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};
for (const [op, f] of Object.entries(MIXED)) {
  env.registerOperator(`double ${op} int: double`, (a: unknown, b: unknown) => f(num(a), num(b)));
  env.registerOperator(`int ${op} double: double`, (a: unknown, b: unknown) => f(num(a), num(b)));
}
env.registerOperator('double % double: double', (a: unknown, b: unknown) => num(a) % num(b));

// ---------------------------------------------------------------------------------------------------------
// The guard: step, size and time budgets on the library's evaluator
// ---------------------------------------------------------------------------------------------------------

/** Which bound stopped an evaluation (in `ExpressionError.details.limit`). */
export type ExpressionLimit = 'steps' | 'valueSize' | 'wallTime';
type Guard = {
  steps: number;
  deadline: number;
  sizes: WeakMap<object, { size: number; len: number }>;
  /** Set once a bound is hit; every later step rethrows the same error (CEL's exists/all absorb errors). */
  exceeded: { limit: ExpressionLimit; message: string; error: BudgetExceeded } | null;
};
type Evaluator = { run(ast: { op: string }, ctx: unknown): unknown };

/** Operators whose result is a value the expression built (charged against the size budget). */
const BUILDING_OPS = new Set(['list', 'map', '+', 'call', 'rcall']);
/** Operators that may cost up to the size of their operands in one step (deep equality, scans, copies). */
const HEAVY_OPS = new Set(['==', '!=', 'in', '<', '<=', '>', '>=', '+', 'call', 'rcall']);
let active: Guard | null = null;
let guardInstalled = false;

class BudgetExceeded extends Error {}

function exceed(g: Guard, limit: ExpressionLimit, message: string): never {
  g.exceeded ??= { limit, message, error: new BudgetExceeded(message) };
  throw g.exceeded.error;
}

function checkClock(g: Guard) {
  if (performance.now() > g.deadline) exceed(g, 'wallTime', `the expression ran longer than ${L.maxWallMs} ms`);
}

function installGuard(ev: Evaluator) {
  if (guardInstalled || typeof ev?.run !== 'function') return;
  const baseRun = ev.run;
  ev.run = function guardedRun(ast, ctx) {
    const g = active;
    if (g) {
      if (g.exceeded) throw g.exceeded.error;
      if (++g.steps > L.maxSteps) exceed(g, 'steps', `the expression took more than ${L.maxSteps} evaluation steps`);
      if ((g.steps & 1023) === 0) checkClock(g);
    }
    const r = baseRun.call(this, ast, ctx);
    if (g) {
      if (BUILDING_OPS.has(ast.op) && (typeof r === 'string' || (typeof r === 'object' && r !== null)) && sizeOf(r, g) > L.maxValueSize)
        exceed(g, 'valueSize', `the expression built a value larger than ${L.maxValueSize} units (chars or elements)`);
      if (HEAVY_OPS.has(ast.op)) checkClock(g);
    }
    return r;
  };
  guardInstalled = true;
}

env.registerFunction(`${PROBE}(): bool`, function (this: Evaluator) {
  installGuard(this);
  return true;
});
try {
  env.evaluate(`${PROBE}()`);
} catch {
  // guardInstalled stays false: evaluate() fails closed.
}

/** Size in units: a char, a byte, a list element or a map entry each, shared sub-values counted per use. */
function sizeOf(v: unknown, g: Guard): number {
  if (typeof v === 'string') return Math.max(1, v.length);
  if (v === null || typeof v !== 'object') return 1;
  if (v instanceof Uint8Array) return Math.max(1, v.length);
  const len = Array.isArray(v) ? v.length : v instanceof Map ? v.size : -1;
  const memo = g.sizes.get(v);
  if (memo && memo.len === len) return memo.size;
  let n = 1;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && n <= L.maxValueSize; i++) n += sizeOf(v[i], g);
  } else if (v instanceof Map) {
    for (const [k, x] of v) {
      n += sizeOf(k, g) + sizeOf(x, g);
      if (n > L.maxValueSize) break;
    }
  } else if (isPlainObject(v)) {
    for (const k in v) {
      n += k.length + sizeOf((v as Record<string, unknown>)[k], g);
      if (n > L.maxValueSize) break;
    }
  }
  g.sizes.set(v, { size: n, len });
  return n;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------------------------
// Compilation (cached)
// ---------------------------------------------------------------------------------------------------------

type Compiled = { ok: true; run: ParseResult; type: string } | { ok: false; message: string; position?: number; celCode?: string };
const cache = new Map<string, Compiled>();

type CelErrorLike = { code?: string; summary?: string; message?: string; range?: { start: number } };

function fromCelError(e: unknown): { message: string; position?: number; celCode?: string } {
  const err = (e ?? {}) as CelErrorLike;
  let message = err.summary ?? err.message ?? String(e);
  if (err.code === 'unknown_variable') {
    const name = message.replace(/^Unknown variable:\s*/, '');
    message = `unknown identifier '${name}': expressions can use ${Object.keys(EXPRESSION_VARIABLES).join(', ')}`;
  }
  if (e instanceof RangeError && /call stack/i.test(err.message ?? '')) message = 'the expression or its data is nested too deeply';
  return { message, ...(typeof err.range?.start === 'number' && { position: err.range.start }), ...(err.code && { celCode: err.code }) };
}

/** Finds calls of refused functions anywhere in the AST (macro arguments included). */
function findRefusedCall(node: unknown, depth = 0): { message: string; position: number } | null {
  if (depth > 200 || node === null || typeof node !== 'object') return null;
  if (Array.isArray(node)) {
    for (const x of node) {
      const hit = findRefusedCall(x, depth + 1);
      if (hit) return hit;
    }
    return null;
  }
  const n = node as { op?: unknown; args?: unknown; start?: number };
  if (typeof n.op !== 'string') return null;
  if ((n.op === 'call' || n.op === 'rcall') && Array.isArray(n.args) && typeof n.args[0] === 'string') {
    const why = Object.hasOwn(REFUSED_FUNCTIONS, n.args[0]) ? REFUSED_FUNCTIONS[n.args[0]] : undefined;
    if (why) return { message: why, position: n.start ?? 0 };
  }
  return n.op === 'value' || n.op === 'id' ? null : findRefusedCall(n.args, depth + 1);
}

function compile(src: string): Compiled {
  const hit = cache.get(src);
  if (hit) {
    cache.delete(src);
    cache.set(src, hit);
    return hit;
  }
  const compiled = compileUncached(src);
  cache.set(src, compiled);
  if (cache.size > L.cacheEntries) cache.delete(cache.keys().next().value!);
  return compiled;
}

function compileUncached(src: string): Compiled {
  if (typeof src !== 'string') return { ok: false, message: 'an expression must be a string' };
  if (src.trim().length === 0) return { ok: false, message: 'the expression is empty' };
  if (src.length > L.maxSourceLength) return { ok: false, message: `the expression is longer than ${L.maxSourceLength} characters` };
  let run: ParseResult;
  try {
    run = env.parse(src);
  } catch (e) {
    return { ok: false, ...fromCelError(e) };
  }
  const refused = findRefusedCall(run.ast);
  if (refused) return { ok: false, ...refused };
  try {
    const checked = run.check();
    if (!checked.valid) return { ok: false, ...fromCelError(checked.error) };
    return { ok: true, run, type: checked.type ?? 'dyn' };
  } catch (e) {
    return { ok: false, ...fromCelError(e) };
  }
}

function typeMatches(type: string, expected: ExpectedType): boolean {
  if (type === 'dyn') return true;
  return expected === 'bool' ? type === 'bool' : type === 'list' || type.startsWith('list<');
}

// ---------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------

/**
 * Parses and type-checks `src` against the context names, without evaluating it. With `expect`, an
 * expression whose static type is known and different (`"a" + "b"` as a condition) is refused too.
 * @example checkExpression('input.amount > 10000') // { ok: true }
 */
export function checkExpression(src: string, opts: { expect?: ExpectedType } = {}): CheckResult {
  const c = compile(src);
  if (!c.ok) return { ok: false, message: c.message, ...(c.position !== undefined && { position: c.position }) };
  if (opts.expect && !typeMatches(c.type, opts.expect)) return { ok: false, message: `must evaluate to a ${opts.expect}, but evaluates to ${c.type}` };
  return { ok: true };
}

/**
 * Evaluates `src` against `ctx` within the bounds above and returns plain JSON.
 * @throws ExpressionError `expression.invalid` (does not compile) or `expression.eval_failed`.
 * @example evaluate('results.summarizer.risk == "high"', ctx) // true
 */
export function evaluate(src: string, ctx: ExpressionContext): Json {
  const c = compile(src);
  if (!c.ok) throw new ExpressionError('expression.invalid', c.message, { source: src, ...(c.position !== undefined && { position: c.position }), ...(c.celCode && { celCode: c.celCode }) });
  if (!guardInstalled) throw new ExpressionError('expression.eval_failed', 'expression evaluation is unavailable: its cost guard could not be installed', { source: src });
  const vars = {
    input: ctx.input ?? null,
    state: ctx.state ?? {},
    intent: ctx.intent ?? null,
    constraints: ctx.constraints ?? {},
    results: ctx.results ?? {},
    item: ctx.item ?? null,
    index: ctx.index ?? null,
    now: ctx.now ?? null,
  };
  const g: Guard = { steps: 0, deadline: performance.now() + L.maxWallMs, sizes: new WeakMap(), exceeded: null };
  const prev = active;
  active = g;
  try {
    const raw: unknown = c.run(vars);
    if (g.exceeded) throw g.exceeded.error;
    if (raw instanceof Promise) throw new Error('asynchronous results are not supported');
    return toJson(raw, g, { left: L.maxValueSize });
  } catch (e) {
    if (e instanceof ExpressionError) throw e;
    const { message, ...where } = g.exceeded ? { message: g.exceeded.message, limit: g.exceeded.limit } : fromCelError(e);
    throw new ExpressionError('expression.eval_failed', message, { source: src, ...where });
  } finally {
    active = prev;
  }
}

/**
 * Evaluates a condition. Anything but a bool (including null) is an error, never coerced.
 * @throws ExpressionError
 */
export function evaluateBoolean(src: string, ctx: ExpressionContext): boolean {
  const v = evaluate(src, ctx);
  if (typeof v !== 'boolean') throw new ExpressionError('expression.eval_failed', `a condition must evaluate to a bool, got ${describe(v)}`, { source: src });
  return v;
}

/**
 * Evaluates every expression of a mapping; the error names the key that failed.
 * @example evaluateMapping({ address: 'state.address' }, ctx) // { address: 'Main St 1' }
 */
export function evaluateMapping(mapping: Record<string, string>, ctx: ExpressionContext): Record<string, Json> {
  const out: [string, Json][] = [];
  for (const [key, src] of Object.entries(mapping)) {
    try {
      out.push([key, evaluate(src, ctx)]);
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      throw new ExpressionError(e.code as ExpressionErrorCode, `'${key}': ${e.message}`, e.details as object);
    }
  }
  return Object.fromEntries(out);
}

// ---------------------------------------------------------------------------------------------------------
// CEL values → JSON
// ---------------------------------------------------------------------------------------------------------

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v === 'number' ? 'a number' : `a ${typeof v}`} (${JSON.stringify(v).slice(0, 40)})`;
}

function toJson(v: unknown, g: Guard, budget: { left: number }): Json {
  if (--budget.left < 0) exceed(g, 'valueSize', `the result is larger than ${L.maxValueSize} units (chars or elements)`);
  switch (typeof v) {
    case 'string':
      if ((budget.left -= v.length) < 0) exceed(g, 'valueSize', `the result is larger than ${L.maxValueSize} units (chars or elements)`);
      return v;
    case 'boolean':
      return v;
    case 'bigint':
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new Error(`the integer ${v} is beyond what a JSON number holds exactly (±2^53)`);
      return Number(v);
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`the result is ${v}, which JSON cannot represent`);
      return v;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map((x) => toJson(x, g, budget));
      if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJson(x, g, budget)]));
      if (v instanceof Date) return v.toISOString();
      // cel-js does not export its Duration and UnsignedInt classes (and bundlers rename classes): match by shape.
      const o = v as { seconds?: unknown; nanos?: unknown; value?: unknown; verify?: unknown };
      if (typeof o.seconds === 'bigint' && typeof o.nanos === 'number') return Number(o.seconds) * 1000 + Math.trunc(o.nanos / 1e6);
      if (typeof o.value === 'bigint' && typeof o.verify === 'function') return toJson(o.value, g, budget);
      if (v instanceof Uint8Array) return base64(v);
      if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x, g, budget)]));
      throw new Error(`a ${v.constructor?.name ?? 'value'} cannot be returned as JSON`);
    }
    default:
      throw new Error(`a ${typeof v} cannot be returned as JSON`);
  }
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
