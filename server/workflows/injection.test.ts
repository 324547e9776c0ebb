/**
 * Hardening: the expression language never runs user text as JavaScript. Over 500 known injection
 * shapes (prototype and constructor walks, process/require/globalThis, template syntaxes of other engines,
 * the published n8n, Langflow and Flowise payload shapes) in many syntactic positions, plus a seeded fuzzer,
 * each evaluate to an ExpressionError or to plain JSON, within a time bound, and nothing executes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ExpressionError, checkExpression, evaluate, type ExpressionContext } from './expressions';

const SENTINEL = '__spineInjectionSentinel';

const ATTACKS = [
  'constructor', '__proto__', 'prototype', 'this', 'self', 'window', 'global', 'globalThis', 'process', 'require', 'module', 'exports', 'import',
  'Function', 'eval', 'setTimeout', 'Reflect', 'Proxy', 'Object', 'Array', 'Buffer', 'Deno', 'Bun',
  'process.exit()', 'process.env', 'process.mainModule.require("child_process")', 'require("child_process").execSync("id")',
  'require("fs").readFileSync("/etc/passwd")', 'import("fs")', 'Function("return process")()', 'eval("1+1")',
  '[].constructor.constructor("return this")()', '"".constructor.constructor("return process")()', '({}).constructor',
  'Object.getPrototypeOf({})', 'Reflect.get(globalThis, "process")', `globalThis.${SENTINEL} = "owned"`,
  'input.constructor.constructor("return process")()', 'input["__proto__"]["polluted"] = 1', 'state.__proto__.toString',
  '$json.constructor', '$node["x"].json', '$env.HOME', '$jmespath($json, "a")', '$(\'node\').item.json', '$evaluateExpression("1")',
  '{{7*7}}', '${7*7}', '#{7*7}', '<%= 7*7 %>', '*{7*7}', '@(7*7)', '{{constructor.constructor("alert(1)")()}}',
  '`${process.exit()}`', 'exec("import os; os.system(\'id\')")', '__import__("os").system("id")', 'os.system("id")',
  'new Function("return 1")', 'x => process', '() => 1', 'function(){return 1}', 'class A {}', 'while(true){}', 'for(;;){}',
  'a = 1', 'delete input.a', 'void 0', 'typeof process', 'input?.a', 'input ?? 1', '...input', 'await 1', 'yield 1',
];

const POSITIONS: ((x: string) => string)[] = [
  (x) => x,
  (x) => `"a" + ${x}`,
  (x) => `[${x}]`,
  (x) => `{"k": ${x}}`,
  (x) => `true ? ${x} : 1`,
  (x) => `size(${x})`,
  (x) => `has(${x}.a)`,
  (x) => `results[${JSON.stringify(x)}]`,
  (x) => `input.tags.map(t, ${x})`,
  (x) => `!(${x})`,
  (x) => `${x} == 1`,
  (x) => `(${x}).a.b`,
];

function fuzz(seed: number, n: number): string[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32);
  const TOKENS = ['input', 'state', 'results', 'intent', '.', '(', ')', '[', ']', '{', '}', ',', ':', '"x"', "'y'", '1', '2.5', '-', '+', '*', '/', '%', '==', '!=', '<', '&&', '||', '!', '?', 'true', 'null',
    'size', 'has', 'map', 'filter', 'exists', 'all', 'int', 'string', 'constructor', '__proto__', 'process', 'this', '${', '}}', '`', ';', '=', '=>', '\\', '\n', '\u0000', 'é', '"', 'cel.bind'];
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(rnd() * 14) }, () => TOKENS[Math.floor(rnd() * TOKENS.length)]).join(rnd() < 0.5 ? '' : ' '));
}

const ctx: ExpressionContext = {
  input: { a: 1, tags: ['x', 'y'], big: Array.from({ length: 2000 }, (_, i) => i), s: 'b'.repeat(2000) },
  state: { n: 1 },
  intent: 'test',
  constraints: {},
  results: { x: { ok: true } },
};

const CORPUS = [...new Set([...ATTACKS.flatMap((a) => POSITIONS.map((p) => p(a))), ...fuzz(20261124, 300)])];

describe('expression injection corpus', () => {
  const g = globalThis as Record<string, unknown>;
  let exitSpy: ReturnType<typeof vi.spyOn>;
  let evalSpy: ReturnType<typeof vi.spyOn>;
  beforeAll(() => {
    g[SENTINEL] = 'untouched';
    exitSpy = vi.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('process.exit was called');
    }) as never);
    evalSpy = vi.spyOn(globalThis, 'eval');
    evaluate('input.tags.map(t, t + "x").size()', ctx);
  });
  afterAll(() => {
    exitSpy.mockRestore();
    evalSpy.mockRestore();
    delete g[SENTINEL];
  });

  it('has more than 500 distinct payloads', () => {
    expect(CORPUS.length).toBeGreaterThan(500);
  });

  it('every payload ends in an ExpressionError or plain JSON, each within 1 s (the evaluator has its own 250 ms wall-clock backstop; the margin absorbs a loaded CI machine)', () => {
    const slow: string[] = [];
    const wrong: string[] = [];
    for (const src of CORPUS) {
      const t0 = performance.now();
      try {
        const v = evaluate(src, ctx);
        if (!isPlainJson(v)) wrong.push(`${src} → ${String(v)}`);
      } catch (e) {
        if (!(e instanceof ExpressionError)) wrong.push(`${src} threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      }
      checkExpression(src);
      if (performance.now() - t0 > 1000) slow.push(src);
    }
    expect(wrong).toEqual([]);
    expect(slow).toEqual([]);
  });

  it('nothing executed: no exit, no eval, the sentinel and Object.prototype intact', () => {
    expect(exitSpy).not.toHaveBeenCalled();
    expect(evalSpy).not.toHaveBeenCalled();
    expect(g[SENTINEL]).toBe('untouched');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

function isPlainJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isPlainJson);
  if (typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype && Object.values(v as object).every(isPlainJson);
  return false;
}
