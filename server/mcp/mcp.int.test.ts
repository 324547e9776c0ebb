/**
 * Spine as an MCP server, driven by the SDK's own `Client` over Streamable HTTP on loopback, on the
 * selected database: 401 without a key, the tool list, every tool called (a procurement run started,
 * read, listed, its approval listed and decided by an approver, the reasoning path of its end, the audit
 * verified), the workflow and run resources listed and read, and each tool held to its key's role exactly
 * as its API v1 endpoint (an auditor cannot decide or publish, and the refusal appends nothing).
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createAuthService, type AuthService } from '@/server/auth/service';
import { SYSTEM_ACTOR, type KeyScopes } from '@/server/auth/roles';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { openHarness, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { v1Routes } from '@/server/testing/v1Routes';
import { mcpApi } from './handler';
import { MCP_TOOL_NAMES } from './tools';

let h: Harness;
let auth: AuthService;
let server: http.Server;
let origin: string;
const clients: Client[] = [];

async function key(name: string, scopes: Partial<KeyScopes>): Promise<string> {
  return (await auth.createKey({ name, scopes: { publish: [], subscribe: ['*'], startRuns: false, roles: [], ...scopes } }, SYSTEM_ACTOR)).secret;
}

/** An MCP client connected to Spine's /api/mcp as the key. */
async function connect(secret: string): Promise<Client> {
  const client = new Client({ name: 'spine-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/api/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
  clients.push(client);
  return client;
}

type Result = CallToolResult & { structuredContent?: any };
const call = async (c: Client, name: string, args: Record<string, unknown> = {}) => (await c.callTool({ name, arguments: args })) as Result;
function ok(r: Result): any {
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent;
}
const headSeq = async () => (await h.spine.read({ after: 0, limit: 100_000 })).at(-1)?.seq ?? 0;

let ops: Client, approver: Client, auditor: Client, intake: Client, narrow: Client;

beforeAll(async () => {
  h = await openHarness();
  auth = createAuthService({ db: h.db, spine: h.spine });
  await auth.bootstrap({ demoUsers: false });
  const services = async () => ({ spine: h.spine, maxPayloadBytes: 64 * 1024, auth, engine: h.service, db: h.db });
  const mcp = mcpApi(services);
  server = createNodeServer([...v1Routes(services), { method: 'POST', path: '/api/mcp', handler: mcp.handle }, { method: 'GET', path: '/api/mcp', handler: mcp.handle }, { method: 'DELETE', path: '/api/mcp', handler: mcp.handle }]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ops = await connect(await key('ops', { startRuns: true, roles: ['operator'] }));
  approver = await connect(await key('anna', { roles: ['approver'] }));
  auditor = await connect(await key('audrey', { roles: ['auditor'] }));
  intake = await connect(await key('intake', { publish: ['case.*'] }));
  narrow = await connect(await key('narrow', { subscribe: ['case.*'] }));
});

afterAll(async () => {
  for (const c of clients) await c.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

describe(`Spine as an MCP server (${testDbKind()})`, () => {
  it('answers 401 without a key or with an unknown one, before reading any MCP message; GET is 405 (stateless)', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const post = (headers: Record<string, string>) =>
      fetch(`${origin}/api/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(initialize) });
    const none = await post({});
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('auth.required');
    const bad = await post({ authorization: 'Bearer spk_not_a_key' });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('auth.invalid_key');
    const secret = await key('plain', {});
    expect((await fetch(`${origin}/api/mcp`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(405);
    const good = await post({ authorization: `Bearer ${secret}` });
    expect(good.status).toBe(200);
    expect(((await good.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('spine');
    // The SDK client sees the 401 as a failed connect.
    await expect(new Client({ name: 'anon', version: '1' }).connect(new StreamableHTTPClientTransport(new URL(`${origin}/api/mcp`)))).rejects.toThrow();
  });

  it('lists the eight tools with their input schemas and the operation each one is', async () => {
    const { tools } = await auditor.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...MCP_TOOL_NAMES].sort());
    const decide = tools.find((t) => t.name === 'decide_approval')!;
    expect(decide.inputSchema.required?.sort()).toEqual(['approvalId', 'decision']);
    expect(decide._meta).toMatchObject({ 'spine/operation': 'POST /api/v1/approvals/{approvalId}/decision', 'spine/access': { kind: 'role', roles: ['approver'] } });
    expect(decide.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tools.find((t) => t.name === 'get_run')!.annotations?.readOnlyHint).toBe(true);
    expect(tools.find((t) => t.name === 'publish_event')!.inputSchema.required).toEqual(['type']);
  });

  it('calls every tool: start a run, read it, list it, list and decide its approval, its reasoning path, publish, verify', async () => {
    const started = ok(await call(ops, 'start_run', { workflowId: 'procurement', input: { amount: 500, quantity: 1 }, intent: 'buy a chair' }));
    const runId = started.runId as string;
    expect(runId).toEqual(expect.any(String));
    const requested = await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested');
    const { approvalId } = requested.payload as { approvalId: string };

    const run = ok(await call(auditor, 'get_run', { runId }));
    expect(run).toMatchObject({ id: runId, status: 'waiting', workflowSlug: 'procurement' });
    const runs = ok(await call(auditor, 'list_runs', { workflow: 'procurement', status: 'waiting,running', limit: 5 }));
    expect(runs.runs.map((r: { id: string }) => r.id)).toContain(runId);
    expect(runs.runs[0]).toMatchObject({ id: runId, startedBy: 'key:ops' });

    const pending = ok(await call(approver, 'list_approvals', { workflow: 'procurement' }));
    expect(pending.approvals.map((a: { approvalId: string }) => a.approvalId)).toContain(approvalId);
    const decided = ok(await call(approver, 'decide_approval', { approvalId, decision: 'approve', comment: 'fine' }));
    expect(decided).toBeTruthy();
    const events = await waitForRun(h.spine, runId);
    const decision = events.find((e) => e.type === 'approval.decided')!;
    expect(decision.payload).toMatchObject({ approvalId, decision: 'approve', actor: 'key:anna', comment: 'fine' });
    expect(decision.source).toEqual({ kind: 'apiKey', name: 'key:anna' });
    const end = events.at(-1)!;
    expect(end.type).toBe('run.completed');
    const history = ok(await call(auditor, 'list_approvals', { status: 'decided', runId }));
    expect(history.approvals[0]).toMatchObject({ approvalId, decision: 'approve', decidedBy: 'key:anna' });

    const path = ok(await call(auditor, 'get_reasoning_path', { runId, eventId: String(end.seq) }));
    expect(path).toMatchObject({ runId, target: { seq: end.seq, type: 'run.completed' }, intent: 'buy a chair' });
    expect(path.hops.map((hop: { kind: string }) => hop.kind)).toEqual(expect.arrayContaining(['start', 'approval', 'end']));
    const byId = ok(await call(auditor, 'get_reasoning_path', { runId, eventId: decision.id }));
    expect(byId.target).toMatchObject({ seq: decision.seq, type: 'approval.decided' });

    const published = ok(await call(intake, 'publish_event', { type: 'case.opened', key: 'case:mcp', payload: { via: 'mcp' }, idempotencyKey: 'mcp-1' }));
    const [stored] = await h.spine.read({ after: published.seq - 1, limit: 1 });
    expect(stored).toMatchObject({ seq: published.seq, id: published.id, type: 'case.opened', key: 'case:mcp', payload: { via: 'mcp' }, source: { kind: 'apiKey', name: 'key:intake' } });
    const again = ok(await call(intake, 'publish_event', { type: 'case.opened', key: 'case:mcp', payload: { via: 'mcp' }, idempotencyKey: 'mcp-1' }));
    expect(again).toEqual({ seq: published.seq, id: published.id });

    const verdict = ok(await call(auditor, 'verify_audit', {}));
    expect(verdict).toMatchObject({ ok: true, fromSeq: 1, problems: [] });
    expect(verdict.toSeq).toBeGreaterThanOrEqual(published.seq);
    expect(ok(await call(auditor, 'verify_audit', { from: 1, to: 3 }))).toMatchObject({ ok: true, fromSeq: 1, toSeq: 3 });
  });

  it('holds each tool to the key as its endpoint does: an auditor can neither decide nor publish nor start, and a refusal appends nothing', async () => {
    const runId = ok(await call(ops, 'start_run', { workflowId: 'procurement', input: { amount: 700, quantity: 1 } })).runId as string;
    const { approvalId } = (await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested')).payload as { approvalId: string };
    await new Promise((r) => setTimeout(r, 50));
    const before = await headSeq();

    const refused = await call(auditor, 'decide_approval', { approvalId, decision: 'approve' });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({ status: 403, error: { code: 'auth.forbidden' } });
    expect((refused.content[0] as { text: string }).text).toMatch(/auth\.forbidden.*approver/);
    expect((await call(auditor, 'publish_event', { type: 'case.opened', payload: {} })).structuredContent).toMatchObject({ status: 403, error: { code: 'auth.forbidden' } });
    expect((await call(auditor, 'start_run', { workflowId: 'procurement', input: { amount: 1, quantity: 1 } })).structuredContent).toMatchObject({ status: 403 });
    // A key may publish only what its scope covers; the operator role alone does not give a key that.
    expect((await call(intake, 'publish_event', { type: 'invoice.paid', payload: {} })).structuredContent).toMatchObject({ status: 403, error: { code: 'auth.forbidden' } });
    // Approvals are for approvers and auditors; the audit for auditors.
    expect((await call(ops, 'list_approvals', {})).structuredContent).toMatchObject({ status: 403 });
    expect((await call(approver, 'verify_audit', {})).structuredContent).toMatchObject({ status: 403 });
    // A key that reads only case.* gets no reasoning path (it holds every type) and a run with its history cut.
    expect((await call(narrow, 'get_reasoning_path', { runId, eventId: '1' })).structuredContent).toMatchObject({ status: 403 });
    expect(await headSeq()).toBe(before);

    // The approver may decide: the same call is let through.
    ok(await call(approver, 'decide_approval', { approvalId, decision: 'reject', comment: 'too dear' }));
    expect((await waitForRun(h.spine, runId)).some((e) => e.type === 'approval.decided' && (e.payload as { decision: string }).decision === 'reject')).toBe(true);
  });

  it('turns bad arguments and unknown ids into isError results that name the problem', async () => {
    const badDecision = await call(approver, 'decide_approval', { approvalId: 'x', decision: 'maybe' });
    expect(badDecision.isError).toBe(true);
    expect(JSON.stringify(badDecision.content)).toMatch(/decision/);
    expect((await call(auditor, 'get_run', { runId: 'no-such-run' })).structuredContent).toMatchObject({ status: 404, error: { code: 'run.not_found' } });
    expect((await call(auditor, 'list_runs', { status: 'sleeping' })).structuredContent).toMatchObject({ status: 400, error: { code: 'request.invalid_query' } });
    expect((await call(ops, 'start_run', { workflowId: 'no-such-workflow' })).structuredContent).toMatchObject({ status: 404 });
    expect((await call(auditor, 'get_reasoning_path', { runId: 'no-such-run', eventId: '1' })).structuredContent).toMatchObject({ status: 404 });
    expect((await call(auditor, 'verify_audit', { from: 5, to: 2 })).structuredContent).toMatchObject({ status: 400 });
  });

  it('lists and reads workflows and runs as resources (spine://workflows/{id}, spine://runs/{id})', async () => {
    const { resourceTemplates } = await auditor.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(['spine://runs/{runId}', 'spine://workflows/{workflowId}']);
    const runId = ok(await call(ops, 'start_run', { workflowId: 'translation-after-sentiment', input: { text: 'Thank you' } })).runId as string;
    await waitForRun(h.spine, runId);

    const { resources } = await auditor.listResources();
    const workflows = resources.filter((r) => r.uri.startsWith('spine://workflows/'));
    const procurement = workflows.find((r) => r.description?.startsWith('procurement,'));
    expect(procurement, JSON.stringify(workflows)).toBeDefined();
    expect(resources.map((r) => r.uri)).toContain(`spine://runs/${runId}`);

    const wf = await auditor.readResource({ uri: procurement!.uri });
    expect(wf.contents[0]).toMatchObject({ uri: procurement!.uri, mimeType: 'application/json' });
    expect(JSON.parse((wf.contents[0] as { text: string }).text)).toMatchObject({ slug: 'procurement' });
    const bySlug = await auditor.readResource({ uri: 'spine://workflows/procurement' });
    expect(JSON.parse((bySlug.contents[0] as { text: string }).text)).toMatchObject({ slug: 'procurement' });
    const run = await auditor.readResource({ uri: `spine://runs/${runId}` });
    expect(JSON.parse((run.contents[0] as { text: string }).text)).toMatchObject({ id: runId, status: 'completed' });

    await expect(auditor.readResource({ uri: 'spine://runs/no-such-run' })).rejects.toMatchObject({ code: -32002 });
  });
});
