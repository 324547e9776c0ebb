/**
 * The hot routes scripts/serve.ts answers itself are routes Next.js serves too: each one matches a route
 * file under app/api/v1 that exports the same method, with the same parameter names, and no other route
 * file is taken over by them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotRouteFor, hotRoutes } from './hotRoutes';

const APP = path.resolve(__dirname, '../../app');

/** Every route file under app/api/v1 as a sample URL path (each [param] filled with its own name) and its methods. */
function routeFiles(dir = path.join(APP, 'api/v1')): { file: string; url: string; params: string[]; methods: string[] }[] {
  const out: { file: string; url: string; params: string[]; methods: string[] }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...routeFiles(full));
    else if (entry.name === 'route.ts') {
      const rel = path.relative(APP, path.dirname(full)).split(path.sep);
      const params = rel.filter((s) => s.startsWith('[')).map((s) => s.slice(1, -1));
      const url = '/' + rel.map((s) => (s.startsWith('[') ? `sample-${s.slice(1, -1)}` : s)).join('/');
      const methods = [...readFileSync(full, 'utf8').matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)].map((m) => m[1]!);
      out.push({ file: path.relative(APP, full), url, params, methods });
    }
  }
  return out;
}

describe('hot routes', () => {
  const routes = hotRoutes(async () => {
    throw new Error('not called');
  });
  const files = routeFiles();

  it('each is a route file of the app with the same method and parameters', () => {
    for (const r of routes) {
      const served = files.filter((f) => f.methods.includes(r.method) && hotRouteFor([r], r.method, f.url));
      expect(served.map((f) => f.file), `${r.method} ${String(r.path)}`).toHaveLength(1);
      const f = served[0]!;
      const match = hotRouteFor([r], r.method, f.url)!;
      expect(Object.keys(match.params).sort()).toEqual([...f.params].sort());
      for (const p of f.params) expect(match.params[p]).toBe(`sample-${p}`);
    }
  });

  it('take over no other route: publish, start a run and the agent task API, nothing else', () => {
    const taken = files.flatMap((f) => f.methods.filter((m) => hotRouteFor(routes, m, f.url)).map((m) => `${m} ${f.url}`)).sort();
    expect(taken).toEqual([
      'GET /api/v1/agent/tasks/stream',
      'POST /api/v1/agent/tasks/sample-id/claim',
      'POST /api/v1/agent/tasks/sample-id/error',
      'POST /api/v1/agent/tasks/sample-id/heartbeat',
      'POST /api/v1/agent/tasks/sample-id/result',
      'POST /api/v1/events',
      'POST /api/v1/workflows/sample-workflowId/runs',
    ]);
    expect(hotRouteFor(routes, 'GET', '/api/v1/events')).toBeUndefined();
    expect(hotRouteFor(routes, 'POST', '/api/v1/workflows/a/b/runs')).toBeUndefined();
  });

  it('hands parameters over percent-decoded, as Next.js does', () => {
    expect(hotRouteFor(routes, 'POST', '/api/v1/workflows/legal%20case/runs')?.params).toEqual({ workflowId: 'legal case' });
    expect(hotRouteFor(routes, 'POST', '/api/v1/workflows/bad%E0%A4%A/runs')?.params).toEqual({ workflowId: 'bad%E0%A4%A' });
  });
});
