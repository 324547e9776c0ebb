/**
 * The MCP tool list and the OpenAPI document agree: each tool is an operation of the document, needs the
 * access the operation declares (`x-spine-access`), and is served by the handler of that operation's route
 * file (the one app/api/v1 mounts for that method).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '@/server/http/openapi';
import { MCP_TOOL_NAMES, MCP_TOOLS } from './tools';

type Op = { 'x-spine-access'?: unknown };
const paths = openApiDocument.paths as unknown as Record<string, Record<string, Op>>;

describe('MCP tools and the OpenAPI document', () => {
  it('has one tool per name, the issue\'s eight', () => {
    expect(MCP_TOOLS.map((t) => t.name)).toEqual([...MCP_TOOL_NAMES]);
    expect(MCP_TOOL_NAMES).toEqual(['publish_event', 'start_run', 'get_run', 'list_runs', 'list_approvals', 'decide_approval', 'get_reasoning_path', 'verify_audit']);
  });

  it.each(MCP_TOOLS.map((t) => [t.name, t] as const))('%s maps to an operation that needs the same access', (_, tool) => {
    const op = paths[tool.operation.path]?.[tool.operation.method.toLowerCase()];
    expect(op, `${tool.operation.method} ${tool.operation.path} is in the OpenAPI document`).toBeDefined();
    expect(op!['x-spine-access'], 'the operation declares its access').toBeDefined();
    expect(tool.access).toEqual(op!['x-spine-access']);
  });

  it.each(MCP_TOOLS.map((t) => [t.name, t] as const))('%s: its operation has a route file exporting that method', (_, tool) => {
    const dir = tool.operation.path.replace(/^\/api\/v1/, '').replace(/\{([^}]+)\}/g, '[$1]');
    const source = readFileSync(path.resolve(import.meta.dirname, '../../app/api/v1', `.${dir}`, 'route.ts'), 'utf8');
    expect(source).toMatch(new RegExp(`export const ${tool.operation.method}\\b|as ${tool.operation.method}\\b`));
  });

  it('names the access in each description where a role or scope is needed', () => {
    for (const t of MCP_TOOLS) {
      if (t.access.kind === 'role') for (const r of t.access.roles) expect(t.description, t.name).toContain(r);
      if (t.access.kind === 'startRuns') expect(t.description, t.name).toMatch(/start runs/);
      if (t.access.kind === 'publish') expect(t.description, t.name).toMatch(/publish scope/);
    }
  });
});
