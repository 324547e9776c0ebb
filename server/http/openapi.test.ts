/**
 * The OpenAPI document and the routes agree: every route file under app/api/v1 (each method it exports)
 * is a path and operation in the document, and every operation in the document has its route file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi';

const ROOT = path.resolve(import.meta.dirname, '../../app/api/v1');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** `app/api/v1/runs/[runId]/envelope/route.ts` → `/api/v1/runs/{runId}/envelope`, with its exported methods. */
function routeFiles(): { path: string; methods: string[] }[] {
  return readdirSync(ROOT, { recursive: true, encoding: 'utf8' })
    .filter((f) => path.basename(f) === 'route.ts')
    .map((f) => {
      const dir = path.dirname(f) === '.' ? '' : `/${path.dirname(f).split(path.sep).join('/')}`;
      const source = readFileSync(path.join(ROOT, f), 'utf8');
      return {
        path: `/api/v1${dir.replace(/\[([^\]]+)\]/g, '{$1}')}`,
        methods: METHODS.filter((m) => new RegExp(`export const ${m}\\b|export \\{[^}]*\\bas ${m}\\b`).test(source)).map((m) => m.toLowerCase()),
      };
    });
}

describe('the OpenAPI document', () => {
  const documented = openApiDocument.paths as Record<string, Record<string, unknown>>;
  const files = routeFiles().filter((r) => r.path !== '/api/v1/openapi.json');

  it('finds the route files (the walk itself works)', () => {
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['/api/v1/runs', '/api/v1/runs/{runId}/envelope', '/api/v1/workflows/{workflowId}/draft']));
    expect(files.find((f) => f.path === '/api/v1/workflows/{workflowId}/draft')?.methods.sort()).toEqual(['get', 'put']);
  });

  it('lists every route file under app/api/v1, each method it serves', () => {
    const missing = files.flatMap((f) => f.methods.filter((m) => !documented[f.path]?.[m]).map((m) => `${m.toUpperCase()} ${f.path}`));
    expect(missing).toEqual([]);
  });

  it('documents no operation that has no route file', () => {
    const served = new Set(files.flatMap((f) => f.methods.map((m) => `${m} ${f.path}`)));
    const extra = Object.entries(documented).flatMap(([p, ops]) => Object.keys(ops).filter((m) => (METHODS as readonly string[]).includes(m.toUpperCase()) && !served.has(`${m} ${p}`)).map((m) => `${m.toUpperCase()} ${p}`));
    expect(extra).toEqual([]);
  });

  type Param = { name: string; in: string };
  it('names each path parameter of a templated path', () => {
    for (const [p, ops] of Object.entries(documented)) {
      const names = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      // Parameters may be declared on the path (shared by its operations) or on each operation.
      const { parameters: shared = [], ...operations } = ops as { parameters?: Param[] } & Record<string, { parameters?: Param[] }>;
      for (const op of Object.values(operations)) {
        const inPath = [...shared, ...(op.parameters ?? [])].filter((x) => x.in === 'path').map((x) => x.name);
        expect(inPath.sort(), p).toEqual([...names].sort());
      }
    }
  });

  it('is JSON', () => {
    expect(() => JSON.parse(JSON.stringify(openApiDocument))).not.toThrow();
  });
});
