/**
 * One error code, one status. Walks every `new XError('area.code', …)` (and `super('area.code', …)`)
 * thrown in server/, works out the HTTP status each site gives its code (from the class, through
 * `ERROR_STATUS`, or from the literal status passed to `SpineError`), and states that:
 *
 * - every code has exactly one status, wherever it is thrown;
 * - /api/v1 (`toHttpError`) and tRPC (the procedures of server/api/trpc.ts) both answer that code with
 *   that status and that code, and both hide the message of a 5xx.
 *
 * A new error class extends one of server/errors.ts (or ExpressionError); a class this file cannot place
 * fails the walk, so it cannot slip past.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import * as errors from '@/server/errors';
import { ERROR_STATUS, SpineError, type ErrorStatus } from '@/server/errors';
import { ExpressionError } from '@/server/workflows/expressions';
import { createContextInner, publicProcedure, router, type Services } from '@/server/api/trpc';
import { toHttpError } from '@/server/http/errors';

const SERVER = path.resolve(import.meta.dirname);

type Site = { code: string; status: number; where: string };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === '__fixtures__' ? [] : sourceFiles(p);
    return /\.tsx?$/.test(d.name) && !/\.test\.tsx?$/.test(d.name) && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Status of an instance of each exported error class (SpineError itself takes its status as an argument). */
type ErrorClass = new (code: string, message: string) => SpineError;
const CLASS_STATUS = new Map<string, number>(
  (Object.entries({ ...errors, ExpressionError }) as [string, unknown][])
    .filter((e): e is [string, ErrorClass] => typeof e[1] === 'function' && e[1].prototype instanceof SpineError)
    .map(([name, Cls]) => [name, new Cls('test.code', 'message').httpStatus]),
);

/** A class declared in `src` (`class X extends Y { … super(code, message, 401) … }`), resolved to its status. */
function localClassStatus(src: string, name: string): number | 'per-site' | undefined {
  const m = new RegExp(`class ${name} extends (\\w+) \\{([\\s\\S]*?)\\n\\}`).exec(src);
  if (!m) return undefined;
  const [, parent, body] = m;
  const literal = /super\(\s*\w+,\s*\w+,\s*(\d{3})\b/.exec(body!);
  if (literal) return Number(literal[1]);
  const kind = /super\(\s*\w+,\s*\w+,\s*ERROR_STATUS\.(\w+)/.exec(body!);
  if (kind) return ERROR_STATUS[kind[1] as keyof typeof ERROR_STATUS];
  return statusOfClass(src, parent!);
}

function statusOfClass(src: string, name: string): number | 'per-site' | undefined {
  if (name === 'SpineError') return 'per-site';
  return CLASS_STATUS.get(name) ?? localClassStatus(src, name);
}

/** Every site in server/ that throws a SpineError with a literal code. */
function throwSites(): { sites: Site[]; unplaced: string[] } {
  const sites: Site[] = [];
  const unplaced: string[] = [];
  const CODE = `'([a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)+)'`;
  for (const file of sourceFiles(SERVER)) {
    const src = readFileSync(file, 'utf8');
    const rel = path.relative(SERVER, file);
    for (const m of src.matchAll(new RegExp(`(?:\\bnew\\s+(\\w+)|\\bsuper)\\(\\s*${CODE}(?=([\\s\\S]{0,400}))`, 'g'))) {
      const [, cls, code, rest] = m;
      const where = `server/${rel}:${src.slice(0, m.index).split('\n').length}`;
      // `super('code', …)` passes the status itself; so does `new SpineError('code', message, status)`.
      const placed = cls === undefined ? 'per-site' : statusOfClass(src, cls);
      if (placed === undefined) {
        if (/Error$/.test(cls!) && !['Error', 'TypeError', 'RangeError', 'TRPCError'].includes(cls!)) unplaced.push(`${where} ${cls}`);
        continue; // not a SpineError (e.g. `new Error('…')`)
      }
      if (placed !== 'per-site') {
        sites.push({ code: code!, status: placed, where });
        continue;
      }
      // The first `, NNN` after the code (messages may hold `;` or `,`, not a bare three-digit number).
      const literal = /,\s*(\d{3})\b/.exec(rest!);
      if (literal) sites.push({ code: code!, status: Number(literal[1]), where });
      else unplaced.push(`${where} ${cls ?? 'super'}('${code}') without a literal status`);
    }
  }
  return { sites, unplaced };
}

function statusByCode(sites: Site[]): Map<string, Set<number>> {
  const by = new Map<string, Set<number>>();
  for (const s of sites) by.set(s.code, (by.get(s.code) ?? new Set()).add(s.status));
  return by;
}

const { sites, unplaced } = throwSites();
const byCode = statusByCode(sites);
/** Each code with the one status it has. */
const table = [...byCode].map(([code, statuses]) => ({ code, status: [...statuses][0]! }));

describe('one error code, one status', () => {
  it('finds the codes thrown in server/, and every throw site is placed', () => {
    expect(unplaced).toEqual([]);
    expect(byCode.size).toBeGreaterThan(50);
    for (const known of ['run.not_found', 'auth.csrf', 'auth.required', 'auth.rate_limited', 'expression.invalid', 'event.blob_unreadable'])
      expect(byCode.has(known), known).toBe(true);
  });

  it('gives every code exactly one status, wherever it is thrown', () => {
    const conflicting = [...byCode]
      .filter(([code, statuses]) => statuses.size > 1)
      .map(([code]) => `${code}: ${sites.filter((s) => s.code === code).map((s) => `${s.status} at ${s.where}`).join(', ')}`);
    expect(conflicting).toEqual([]);
  });

  it('gives every status a kind in ERROR_STATUS', () => {
    const statuses: number[] = Object.values(ERROR_STATUS);
    expect(table.filter((t) => !statuses.includes(t.status))).toEqual([]);
  });

  describe('both transports answer a code with its status', () => {
    afterEach(() => vi.restoreAllMocks());

    it('/api/v1: toHttpError', async () => {
      vi.spyOn(console, 'error').mockImplementation(() => {});
      for (const { code, status } of table) {
        const res = toHttpError(new SpineError(code, 'the message', status as ErrorStatus));
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect({ code, status: res.status, body: body.error.code, hidden: body.error.message !== 'the message' }).toEqual({ code, status, body: code, hidden: status >= 500 });
      }
    });

    it('tRPC: a procedure that throws it', async () => {
      vi.spyOn(console, 'error').mockImplementation(() => {});
      const throws = router({
        boom: publicProcedure.input(z.object({ code: z.string(), status: z.number() })).query(({ input }) => {
          throw new SpineError(input.code, 'the message', input.status as ErrorStatus);
        }),
      });
      const ctx = createContextInner({ actor: null, services: {} as Services });
      for (const { code, status } of table) {
        const url = `http://spine.test/api/trpc/boom?input=${encodeURIComponent(JSON.stringify({ code, status }))}`;
        const res = await fetchRequestHandler({ endpoint: '/api/trpc', req: new Request(url), router: throws, createContext: () => ctx });
        const body = (await res.json()) as { error: { message: string; data: { httpStatus: number; error: { code: string } } } };
        expect({ code, status: res.status, data: body.error.data.httpStatus, body: body.error.data.error.code, hidden: body.error.message !== 'the message' }).toEqual({ code, status, data: status, body: code, hidden: status >= 500 });
      }
    });
  });
});
