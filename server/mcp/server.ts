/**
 * One MCP server for one request (stateless Streamable HTTP): the tools of tools.ts and the workflow and
 * run resources, every one served by its API v1 handler with the caller's own `Authorization` header. So a
 * tool is validated and authorized exactly as its endpoint: an auditor's `decide_approval` is the
 * endpoint's 403, returned as an `isError` result naming `auth.forbidden`; what a key may read is cut to
 * its read scope as on /api/v1. Nothing here decides who may do what.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { approvalsApi, auditApi, eventsApi, PEER_HEADER, reasoningPathApi, runsApi, workflowsApi, type ServicesGetter } from '@/server/http';
import { MCP_TOOLS, requestOf, type Operation } from './tools';

type Handler = (req: Request, ctx: { params: Promise<never> }) => Promise<Response>;
type Answer = { ok: boolean; status: number; body: unknown };

/** The handler of each operation a tool or resource uses (the same functions the route files mount). */
function operations(services: ServicesGetter): Record<string, Handler> {
  const runs = runsApi(services);
  const approvals = approvalsApi(services);
  const workflows = workflowsApi(services);
  const table: Record<string, (req: Request, ctx: never) => Promise<Response>> = {
    'POST /api/v1/events': eventsApi(services).post,
    'POST /api/v1/workflows/{workflowId}/runs': runs.start,
    'GET /api/v1/runs/{runId}': runs.get,
    'GET /api/v1/runs': runs.list,
    'GET /api/v1/approvals': approvals.list,
    'POST /api/v1/approvals/{approvalId}/decision': approvals.decide,
    'GET /api/v1/runs/{runId}/path/{eventId}': reasoningPathApi(services).get,
    'GET /api/v1/audit/verify': auditApi(services).verify,
    'GET /api/v1/workflows': workflows.list,
    'GET /api/v1/workflows/{workflowId}': workflows.get,
  };
  return table as Record<string, Handler>;
}

export const opKey = (op: Operation) => `${op.method} ${op.path}`;

/** Builds the MCP server for a request that carries this `Authorization` header (and peer address). */
export function createSpineMcpServer(services: ServicesGetter, from: Request): McpServer {
  const handlers = operations(services);
  const headers: Record<string, string> = {};
  for (const h of ['authorization', PEER_HEADER]) {
    const v = from.headers.get(h);
    if (v !== null) headers[h] = v;
  }

  /** Calls an operation's handler in process, as the caller. */
  async function call(op: Operation, args: Record<string, unknown>): Promise<Answer> {
    const handler = handlers[opKey(op)];
    if (!handler) throw new Error(`no handler for ${opKey(op)}`);
    const r = requestOf(op, args);
    const url = new URL(r.path, from.url);
    url.search = r.query.toString();
    const req = new Request(url, {
      method: op.method,
      headers: { ...headers, ...(r.body && { 'content-type': 'application/json' }) },
      ...(r.body && { body: JSON.stringify(r.body) }),
    });
    const res = await handler(req, { params: Promise.resolve(r.params) as Promise<never> });
    const text = await res.text();
    return { ok: res.ok, status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  const server = new McpServer(
    { name: 'spine', title: 'Spine', version: '1.0.0' },
    { instructions: 'Spine is the coordination layer of a multi-agent system: an append-only event log, workflows and their runs, approvals and an audit trail. Each tool is an operation of Spine API v1, allowed by the roles and scopes of your API key.' },
  );

  for (const tool of MCP_TOOLS) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, annotations: tool.annotations, _meta: { 'spine/operation': opKey(tool.operation), 'spine/access': tool.access } },
      async (args: Record<string, unknown>): Promise<CallToolResult> => {
        const a = await call(tool.operation, args);
        if (a.ok) return { content: [{ type: 'text', text: JSON.stringify(a.body) }], structuredContent: asObject(a.body) };
        const err = errorOf(a);
        return { isError: true, content: [{ type: 'text', text: `${err.code} (HTTP ${a.status}): ${err.message}` }], structuredContent: { error: err, status: a.status } };
      },
    );
  }

  /** A resource read: the operation's JSON, or an MCP error saying why not (not found: -32002). */
  const read = async (uri: URL, op: Operation, args: Record<string, unknown>) => {
    const a = await call(op, args);
    if (!a.ok) {
      const err = errorOf(a);
      throw new McpError(a.status === 404 ? RESOURCE_NOT_FOUND : a.status === 400 ? ErrorCode.InvalidParams : ErrorCode.InvalidRequest, `${err.code}: ${err.message}`, { status: a.status, code: err.code, uri: uri.href });
    }
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(a.body) }] };
  };
  const listed = async (op: Operation, args: Record<string, unknown>, pick: (body: unknown) => { uri: string; name: string; description?: string }[]) => {
    const a = await call(op, args);
    if (!a.ok) throw new McpError(ErrorCode.InvalidRequest, `${errorOf(a).code}: ${errorOf(a).message}`);
    return { resources: pick(a.body).map((r) => ({ ...r, mimeType: 'application/json' })) };
  };

  server.registerResource(
    'workflow',
    new ResourceTemplate('spine://workflows/{workflowId}', {
      list: () =>
        listed({ method: 'GET', path: '/api/v1/workflows' }, {}, (b) =>
          ((b as { workflows?: { id: string; slug: string; name: string; publishedVersion: number | null }[] }).workflows ?? []).map((w) => ({
            uri: `spine://workflows/${w.id}`,
            name: w.name,
            description: `${w.slug}, version ${w.publishedVersion ?? '(unpublished)'}`,
          })),
        ),
    }),
    { title: 'Workflow', description: 'A published workflow: its latest version, document and version history', mimeType: 'application/json' },
    (uri, vars) => read(uri, { method: 'GET', path: '/api/v1/workflows/{workflowId}' }, { workflowId: one(vars.workflowId) }),
  );
  server.registerResource(
    'run',
    new ResourceTemplate('spine://runs/{runId}', {
      list: () =>
        listed({ method: 'GET', path: '/api/v1/runs' }, { limit: RUNS_LISTED }, (b) =>
          ((b as { runs?: { id: string; status: string; startedAt: string; workflow: { slug: string | null } }[] }).runs ?? []).map((r) => ({
            uri: `spine://runs/${r.id}`,
            name: `${r.workflow.slug ?? 'run'} ${r.id}`,
            description: `${r.status}, started ${r.startedAt}`,
          })),
        ),
    }),
    { title: 'Run', description: 'A run: status, node states, output and envelope (the newest runs are listed)', mimeType: 'application/json' },
    (uri, vars) => read(uri, { method: 'GET', path: '/api/v1/runs/{runId}' }, { runId: one(vars.runId) }),
  );

  return server;
}

/** The runs `resources/list` names: the newest (list_runs pages through all of them). */
const RUNS_LISTED = 50;
/** MCP's "resource not found" (the specification's -32002). */
const RESOURCE_NOT_FOUND = -32002;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));

function asObject(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : { value: body };
}

function errorOf(a: Answer): { code: string; message: string; details?: unknown } {
  const e = (a.body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  return { code: typeof e?.code === 'string' ? e.code : 'http.error', message: typeof e?.message === 'string' ? e.message : `HTTP ${a.status}`, ...(e?.details !== undefined && { details: e.details }) };
}
