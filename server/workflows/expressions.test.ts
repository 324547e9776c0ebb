import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EXPRESSION_LIMITS,
  ExpressionError,
  checkExpression,
  evaluate,
  evaluateBoolean,
  evaluateMapping,
  type ExpressionContext,
} from './expressions';

const ctx: ExpressionContext = {
  input: { amount: 15000, n: 7, name: 'Ada', tags: ['a', 'b', 'c'], nested: { deep: { x: 1.5 } }, to: 'de' },
  state: { address: 'Main St 1', count: 3 },
  intent: 'buy',
  constraints: { maxCost: 20000 },
  results: { summarizer: { risk: 'high' }, 'inventory-check': { inStock: true } },
  now: '2024-05-01T12:00:00.000Z',
};

/** The error an evaluation throws, or a failure if it returns. */
function failure(f: () => unknown): ExpressionError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error('expected an ExpressionError');
}

describe('evaluate: CEL over the run context, returning plain JSON', () => {
  it.each([
    // arithmetic: CEL ints come back as numbers; JSON numbers are doubles and mix with int literals
    ['1 + 2 * 3', 7],
    ['7 / 2', 3],
    ['7.0 / 2', 3.5],
    ['10 % 3', 1],
    ['input.amount + 1', 15001],
    ['1 + input.amount', 15001],
    ['input.amount * 1.5', 22500],
    ['input.n % 2', 1],
    ['input.n / 2', 3.5],
    ['-input.amount', -15000],
    ['size(input.tags) * 2', 6],
    // strings
    ['"a" + "b"', 'ab'],
    ['input.name + "!"', 'Ada!'],
    ['"hello".contains("ell")', true],
    ['"hello".startsWith("he") && "hello".endsWith("lo")', true],
    ['size("héllo")', 5],
    ['"a,b".split(",")', ['a', 'b']],
    ['string(42)', '42'],
    // lists
    ['[1, 2, 3].map(x, x * 2)', [2, 4, 6]],
    ['input.tags.filter(t, t != "b")', ['a', 'c']],
    ['input.tags.exists(t, t == "c")', true],
    ['input.tags.all(t, size(t) == 1)', true],
    ['[1, 2] + [3]', [1, 2, 3]],
    ['2 in [1, 2]', true],
    ['"b" in input.tags', true],
    ['input.tags[1]', 'b'],
    ['[1, "a", true, null]', [1, 'a', true, null]],
    // maps
    ['{"a": 1, "b": [true]}', { a: 1, b: [true] }],
    ['{1: "x"}', { '1': 'x' }],
    ['state.address', 'Main St 1'],
    ['input.nested.deep.x', 1.5],
    ['input.nested', { deep: { x: 1.5 } }],
    ['"address" in state', true],
    // has() and size()
    ['has(input.name)', true],
    ['has(input.missing)', false],
    ['has(state.address)', true],
    ['size(input.tags)', 3],
    ['input.tags.size()', 3],
    ['size(state)', 2],
    ['size({"a": 1})', 1],
    // comparisons on input, state, results, intent, constraints
    ['input.amount > 10000', true],
    ['input.amount > 10000.5', true],
    ['input.amount == 15000', true],
    ['state.count >= 3', true],
    ['results.summarizer.risk == "high"', true],
    ['results["inventory-check"].inStock == true', true],
    ['intent == "buy"', true],
    ['constraints.maxCost < input.amount', false],
    ['has(input.to) ? input.to : "fr"', 'de'],
    // time: timestamps come back ISO, durations in ms
    ['timestamp(now) > timestamp("2020-01-01T00:00:00Z")', true],
    ['timestamp(now) + duration("1h")', '2024-05-01T13:00:00.000Z'],
    ['duration("90s")', 90_000],
    // bytes come back base64
    ['b"hi"', 'aGk='],
    ['null', null],
  ])('%s → %j', (src, expected) => {
    expect(evaluate(src, ctx)).toEqual(expected);
  });

  it('binds item in a map fan-out and null without one', () => {
    expect(evaluate('item.sku + "-1"', { ...ctx, item: { sku: 'A7' } })).toBe('A7-1');
    expect(evaluate('item == null', ctx)).toBe(true);
    expect(evaluate('item * 2', { ...ctx, item: 21 })).toBe(42);
  });

  it('never changes the context it reads', () => {
    const before = structuredClone(ctx);
    evaluate('input.tags.map(t, t + "x") + [state.address]', ctx);
    expect(ctx).toEqual(before);
  });

  it('returns objects whose keys cannot reach a prototype', () => {
    // cel-js drops prototype-shaped keys from map literals; nothing reaches Object.prototype either way.
    const v = evaluate('{"__proto__": {"polluted": true}, "constructor": 1, "ok": 2}', ctx) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(v).toEqual({ ok: 2 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const hostile = { ...ctx, input: JSON.parse('{"__proto__": {"polluted": true}}') };
    expect(evaluate('input', hostile)).toEqual(JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['input.missing', 'eval_failed'],
    ['1 / 0', 'eval_failed'],
    ['1.0 / 0.0', 'eval_failed'], // Infinity is not JSON
    ['9223372036854775807', 'eval_failed'], // beyond 2^53: refused rather than rounded
    ['input.tags[7]', 'eval_failed'],
    ['1 ? 2 : 3', 'invalid'],
    ['dyn(1) ? 2 : 3', 'eval_failed'],
    ['input.name + 1', 'eval_failed'],
    ['unknownName', 'invalid'],
    ['input.', 'invalid'],
    ['1 +', 'invalid'],
    ['"a" + 1', 'invalid'],
    ['', 'invalid'],
    ['   ', 'invalid'],
  ])('%j fails with expression.%s', (src, code) => {
    expect(failure(() => evaluate(src, ctx)).code).toBe(`expression.${code}`);
  });

  it('reports where a compile error is', () => {
    const e = failure(() => evaluate('input.amount > nope', ctx));
    expect(e.code).toBe('expression.invalid');
    expect(e.position).toBe(15);
  });
});

describe('evaluateBoolean: router conditions', () => {
  it('returns bools', () => {
    expect(evaluateBoolean('input.amount > 10000', ctx)).toBe(true);
    expect(evaluateBoolean('results.summarizer.risk == "low"', ctx)).toBe(false);
  });

  it.each(['1', '"true"', 'null', '[true]', '{"ok": true}', 'input.amount', 'state'])('refuses the non-bool %s', (src) => {
    expect(failure(() => evaluateBoolean(src, ctx)).code).toBe('expression.eval_failed');
  });
});

describe('evaluateMapping', () => {
  it('evaluates every key', () => {
    expect(evaluateMapping({ a: '1', b: 'input.amount', c: 'state.address' }, ctx)).toEqual({ a: 1, b: 15000, c: 'Main St 1' });
    expect(evaluateMapping({}, ctx)).toEqual({});
  });

  it('names the key that failed', () => {
    const e = failure(() => evaluateMapping({ ok: '1', broken: 'input.missing' }, ctx));
    expect(e.code).toBe('expression.eval_failed');
    expect(e.message).toContain("'broken'");
  });
});

describe('checkExpression', () => {
  it('accepts valid sources without evaluating them', () => {
    expect(checkExpression('input.missing.deeper > 1')).toEqual({ ok: true });
    expect(checkExpression('results["case-law"].citations')).toEqual({ ok: true });
  });

  it.each(['foo', 'input.amount >', 'process.exit()', 'input.x.matches("a")', '"a" + 1'])('refuses %j with a message', (src) => {
    const r = checkExpression(src);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.message.length).toBeGreaterThan(0);
  });

  it('points at the offending position', () => {
    expect(checkExpression('input.a + bogus')).toMatchObject({ ok: false, position: 10 });
  });

  it('checks the static type when asked', () => {
    expect(checkExpression('"a" + "b"', { expect: 'bool' }).ok).toBe(false);
    expect(checkExpression('1 + 2', { expect: 'bool' }).ok).toBe(false);
    expect(checkExpression('input.flag', { expect: 'bool' }).ok).toBe(true); // dyn: checked when evaluated
    expect(checkExpression('input.a > 1', { expect: 'bool' }).ok).toBe(true);
    expect(checkExpression('[1, 2]', { expect: 'list' }).ok).toBe(true);
    expect(checkExpression('input.items', { expect: 'list' }).ok).toBe(true);
    expect(checkExpression('"x"', { expect: 'list' }).ok).toBe(false);
  });

  it(`refuses sources longer than ${EXPRESSION_LIMITS.maxSourceLength} characters`, () => {
    expect(checkExpression(`"${'a'.repeat(EXPRESSION_LIMITS.maxSourceLength)}"`).ok).toBe(false);
  });
});

describe('bounds: pathological expressions stop, deterministically', () => {
  const big = Array.from({ length: 2000 }, (_, i) => i);
  const bctx: ExpressionContext = { ...ctx, input: { big, tags: ['aaaaaaaaaa'], text: 'x'.repeat(600_000) } };
  const limitOf = (src: string) => failure(() => evaluate(src, bctx)).details;

  it('counts comprehension steps (nested loops over input)', () => {
    // The step budget stops these; on a heavily loaded machine the 250 ms wall-clock backstop can get there first.
    expect(['steps', 'wallTime']).toContain((limitOf('input.big.map(x, input.big.map(y, x + y))') as { limit?: string } | undefined)?.limit);
    expect(['steps', 'wallTime']).toContain((limitOf('input.big.all(x, input.big.all(y, input.big.all(z, true)))') as { limit?: string } | undefined)?.limit);
    // a loop under the budget still runs
    expect(evaluate('input.big.map(x, x * 2).size()', bctx)).toBe(2000);
  });

  it('charges every built value, shared parts included', () => {
    const doubling = Array.from({ length: 22 }, () => '.map(x, [x, x])').join('');
    expect(limitOf(`input.tags${doubling}`)).toMatchObject({ limit: 'valueSize' });
    const strings = Array.from({ length: 20 }, () => '.map(s, s + s)').join('');
    expect(limitOf(`input.tags${strings}`)).toMatchObject({ limit: 'valueSize' });
    expect(limitOf('input.text + input.text')).toMatchObject({ limit: 'valueSize' });
    expect(limitOf(bindChain(14))).toMatchObject({ limit: 'valueSize' });
  });

  it('stops repeated deep comparisons of big values on the wall-clock backstop', () => {
    const list = () => Array.from({ length: 50_000 }, (_, i) => i);
    const huge = { ...ctx, input: { a: list(), b: list() } };
    const t0 = performance.now();
    const e = failure(() => evaluate('input.a.map(x, input.a == input.b)', huge));
    expect(e.details).toMatchObject({ limit: 'wallTime' });
    expect(performance.now() - t0).toBeLessThan(EXPRESSION_LIMITS.maxWallMs * 4);
  });
});

/** `cel.bind(v0, "xx…", cel.bind(v1, v0 + v0, ...))`: each level doubles the string (nesting allows ~15). */
function bindChain(levels: number, base = 100): string {
  let src = `v${levels}`;
  for (let i = levels; i >= 1; i--) src = `cel.bind(v${i}, v${i - 1} + v${i - 1}, ${src})`;
  return `cel.bind(v0, "${'x'.repeat(base)}", ${src})`;
}

describe('injection: hostile text never executes and always ends quickly', () => {
  const SENTINEL = '__spineExpressionSentinel';
  const g = globalThis as Record<string, unknown>;
  let exitSpy: ReturnType<typeof vi.spyOn>;
  let evalSpy: ReturnType<typeof vi.spyOn>;

  beforeAll(() => {
    g[SENTINEL] = 'untouched';
    exitSpy = vi.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('process.exit was called');
    }) as never);
    evalSpy = vi.spyOn(globalThis, 'eval');
    // Warm the evaluator so the time bound measures the guard, not the JIT.
    evaluate('[1, 2, 3].map(x, x * 2).filter(x, x > 2).size()', ctx);
  });

  afterAll(() => {
    exitSpy.mockRestore();
    evalSpy.mockRestore();
    delete g[SENTINEL];
  });

  const hostileCtx: ExpressionContext = {
    ...ctx,
    input: { big: Array.from({ length: 3000 }, (_, i) => i), tags: ['abcdefgh'], s: 'a'.repeat(5000) + '!' },
  };

  const PAYLOADS: string[] = [
    'constructor',
    '__proto__',
    'this',
    'this.constructor',
    'process.exit()',
    'process.exit(1)',
    'process.mainModule.require("child_process").execSync("id")',
    'require("fs")',
    'require("child_process").execSync("touch /tmp/pwned")',
    'globalThis',
    'globalThis.process',
    `globalThis.${SENTINEL}`,
    'global.process',
    'window.location',
    'document.cookie',
    'Function("return 1")()',
    'Function("return process")().exit()',
    '${7*7}',
    '{{7*7}}',
    '#{7*7}',
    '<%= 7*7 %>',
    '@(7*7)',
    '[].constructor.constructor("return process")()',
    '"".constructor.constructor("return process")()',
    '={{ $jmespath($json, "a") }}',
    '={{ $json.constructor.constructor("return process")() }}',
    '{{ constructor.constructor("alert(1)")() }}',
    '`${process.exit()}`',
    'input.constructor',
    'input["constructor"]',
    'input.__proto__',
    'input["__proto__"]',
    'input.constructor.constructor',
    'input["constructor"]["constructor"]',
    'input.__proto__.polluted',
    'has(input.__proto__)',
    'state.toString',
    'state.hasOwnProperty',
    'input.hasOwnProperty("amount")',
    'input.valueOf()',
    'input.toString()',
    'dyn(input).constructor',
    'type(input).constructor',
    '"abc".constructor',
    'b"abc".constructor',
    'input.tags.constructor',
    'eval("1+1")',
    'new Function("x")',
    'import("fs")',
    'fetch("http://127.0.0.1:1")',
    'setTimeout("process.exit()", 0)',
    '1; process.exit()',
    'input.amount > 1 || process.exit()',
    'true ? process.exit() : 1',
    '[1].map(x, process)',
    'cel.bind(p, process, p.exit())',
    'a = 1',
    `${SENTINEL} = "owned"`,
    'input.x = 1',
    '(function(){ return 1 })()',
    '() => 1',
    'x => process.exit()',
    'Object.keys(input)',
    'JSON.parse("{}")',
    'Reflect.ownKeys(input)',
    'Symbol.iterator',
    'Array(1000000000)',
    '"a".repeat(1000000000)',
    '[..."abc"]',
    '<script>alert(1)</script>',
    "'; DROP TABLE runs; --",
    '"\\u0000" + "\\x00"',
    'input.s.matches("(a+)+$")',
    '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!".matches("(a+)+$")',
    // size and depth
    `"${'a'.repeat(1_000_000)}"`,
    'x'.repeat(3000),
    `${'('.repeat(5000)}1${')'.repeat(5000)}`,
    `${'('.repeat(900)}1${')'.repeat(900)}`,
    `${'['.repeat(900)}${']'.repeat(900)}`,
    `${'!'.repeat(1900)}true`,
    `${'-'.repeat(1900)}1`,
    `${'1 + '.repeat(450)}1`,
    `[${Array.from({ length: 600 }, () => '1').join(',')}]`,
    `{${Array.from({ length: 300 }, (_, i) => `"k${i}": 1`).join(',')}}`,
    `${'f('.repeat(100)}1${')'.repeat(100)}`,
    'input.big.map(x, input.big.map(y, x * y))',
    'input.big.exists(x, input.big.exists(y, input.big.exists(z, x + y + z < 0)))',
    'input.big.map(x, input.big).map(l, l.map(y, y + 1))',
    `input.tags${'.map(x, [x, x])'.repeat(24)}`,
    `input.tags${'.map(s, s + s)'.repeat(24)}`,
    bindChain(14),
    bindChain(60),
    'input.s.split("")',
    'input.big.map(x, input.s).join("")',
  ];

  it('has a substantial payload set', () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(PAYLOADS.map((p) => [p.length > 60 ? `${p.slice(0, 57)}...(${p.length} chars)` : p, p]))('%s', (_name, src) => {
    const t0 = performance.now();
    let value: unknown;
    let error: unknown;
    try {
      value = evaluate(src, hostileCtx);
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - t0;
    if (error !== undefined) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect(['expression.invalid', 'expression.eval_failed']).toContain((error as ExpressionError).code);
    } else {
      expect(isPlainJson(value)).toBe(true);
    }
    expect(checkExpression(src)).toHaveProperty('ok');
    expect(ms).toBeLessThan(1000);
  });

  it('executed nothing: no exit, no eval, sentinel and prototypes intact', () => {
    expect(exitSpy).not.toHaveBeenCalled();
    expect(evalSpy).not.toHaveBeenCalled();
    expect(g[SENTINEL]).toBe('untouched');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.toString.call([])).toBe('[object Array]');
  });
});

function isPlainJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isPlainJson);
  if (typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype && Object.values(v).every(isPlainJson);
  return false;
}
