/**
 * MCP tools for LLM agents, in runs on the selected database: an `openai` agent whose config names an MCP
 * server (the SDK's `McpServer` on 127.0.0.1, Streamable HTTP) is offered that server's tools beside a
 * Spine agent; the fake OpenAI server asks for tool calls, and each MCP call is made with the SDK's
 * client (the configured Authorization header sent, sealed at rest) and recorded as its own
 * `task.tool_called`, caused by the task's dispatch, exactly like the Spine agent's call. A tool error goes
 * back to the model; the outbound guard refuses the loopback server unless allowed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Json, SpineEvent } from '@/server/spine';
import { observability } from '@/server/observability';
import { openHarness, publishDocument, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { startFakeOpenAi, type FakeOpenAi } from '@/server/testing/fakeOpenAi';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';

type ToolServer = { url: string; authorizations: (string | undefined)[]; calls: { tool: string; args: unknown }[]; close(): Promise<void> };

/** An MCP server with two tools (one that fails), stateless: a server and transport per request. */
async function startToolServer(): Promise<ToolServer> {
  const authorizations: (string | undefined)[] = [];
  const calls: { tool: string; args: unknown }[] = [];
  const build = () => {
    const s = new McpServer({ name: 'case-tools', version: '1.0.0' });
    s.registerTool('lookup_case', { description: 'Looks a case up by id.', inputSchema: { caseId: z.string() } }, async ({ caseId }) => {
      calls.push({ tool: 'lookup_case', args: { caseId } });
      return { content: [{ type: 'text', text: `case ${caseId} is open` }], structuredContent: { caseId, status: 'open' } };
    });
    s.registerTool('close_case', { description: 'Closes a case.', inputSchema: { caseId: z.string() } }, async ({ caseId }) => {
      calls.push({ tool: 'close_case', args: { caseId } });
      return { isError: true, content: [{ type: 'text', text: `case ${caseId} cannot be closed: it has open approvals` }] };
    });
    return s;
  };
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST') return void res.writeHead(405).end();
        const mcp = build();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => void transport.close().then(() => mcp.close()));
        await mcp.connect(transport);
        await transport.handleRequest(req, res, JSON.parse(raw));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    authorizations,
    calls,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

function oneAgent(agent: string): WorkflowDocumentInput {
  return {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
      { id: 'llm', kind: 'agent', label: 'LLM', position: { x: 1, y: 0 }, config: { agent, retry: { maxAttempts: 1 } } },
      { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success', output: { answer: 'results.llm' } } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'llm' },
      { id: 'e2', source: 'llm', target: 'done' },
    ],
  };
}

const payloadOf = <T = Record<string, Json>>(e: SpineEvent | undefined) => e?.payload as T;

describe(`MCP tools for LLM agents (${testDbKind()})`, () => {
  let h: Harness | undefined;
  let fake: FakeOpenAi | undefined;
  let tools: ToolServer | undefined;
  const allow = process.env.SPINE_OUTBOUND_ALLOW;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
    await tools?.close();
    h = fake = tools = undefined;
    if (allow === undefined) delete process.env.SPINE_OUTBOUND_ALLOW;
    else process.env.SPINE_OUTBOUND_ALLOW = allow;
  });

  async function setup(allowLoopback: boolean, only?: string[]) {
    if (allowLoopback) process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    h = await openHarness();
    fake = await startFakeOpenAi();
    tools = await startToolServer();
    // The fake LLM itself is on loopback too: when the MCP server is not allowed, the LLM is (by host name).
    if (!allowLoopback) fake.baseUrl = fake.baseUrl.replace('127.0.0.1', 'localhost');
    if (!allowLoopback) process.env.SPINE_OUTBOUND_ALLOW = 'localhost';
    await h.service.agentStore.upsert({
      name: 'case-clerk',
      kind: 'openai',
      description: 'An LLM agent with MCP tools',
      config: { baseUrl: fake.baseUrl, model: 'fake-1', tools: ['sentiment'], mcpServers: [{ name: 'cases', url: tools.url, headers: { Authorization: 'Bearer mcp-secret-42' }, ...(only && { tools: only }) }] },
    });
    h.service.agents.invalidate();
    return { h, fake, tools };
  }

  it('offers the MCP tools beside a Spine agent; each MCP call is a task.tool_called caused by the dispatch, like the agent call', async () => {
    const { h, fake, tools } = await setup(true);
    fake.queue(
      { toolCalls: [{ name: 'cases__lookup_case', arguments: { caseId: 'c-7' } }] },
      { toolCalls: [{ name: 'cases__close_case', arguments: { caseId: 'c-7' } }, { name: 'sentiment', arguments: { text: 'great service' } }] },
      { content: 'Case c-7 is open and stays open.' },
    );
    const wf = await publishDocument(h, 'Case clerk', oneAgent('case-clerk') as never);
    const { runId } = await h.service.startRun(wf, { input: { caseId: 'c-7' } }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { output: { answer: { text: 'Case c-7 is open and stays open.' } } } });

    // What the model was offered: the Spine agent and the server's tools, with the server's descriptions and schemas.
    const offered = fake.requests[0]!.body.tools!.map((t) => t.function);
    expect(offered.map((f) => [f.name, f.description])).toEqual([
      ['sentiment', 'Classifies sentiment and whether the text is appropriate to process.'],
      ['cases__lookup_case', 'Looks a case up by id.'],
      ['cases__close_case', 'Closes a case.'],
    ]);
    expect(offered[1]!.parameters).toMatchObject({ type: 'object', properties: { caseId: { type: 'string' } }, required: ['caseId'] });

    const dispatched = events.find((e) => e.type === 'task.dispatched')!;
    const called = events.filter((e) => e.type === 'task.tool_called');
    expect(called.map((e) => payloadOf(e))).toMatchObject([
      { nodeId: 'llm', attempt: 1, tool: 'mcp:case-clerk:cases:lookup_case', round: 1, n: 1, arguments: { caseId: 'c-7' }, output: { caseId: 'c-7', status: 'open' } },
      { nodeId: 'llm', attempt: 1, tool: 'mcp:case-clerk:cases:close_case', round: 2, n: 2, arguments: { caseId: 'c-7' }, output: null, error: expect.stringMatching(/cannot be closed: it has open approvals/) },
      { nodeId: 'llm', attempt: 1, tool: 'sentiment', round: 2, n: 3, arguments: { text: 'great service' }, output: { sentiment: 'positive' } },
    ]);
    for (const t of called) expect(t).toMatchObject({ causationId: dispatched.id, source: { kind: 'engine' } });
    expect(called.every((t) => t.seq < events.find((e) => e.type === 'task.completed')!.seq)).toBe(true);
    expect(tools.calls).toEqual([{ tool: 'lookup_case', args: { caseId: 'c-7' } }, { tool: 'close_case', args: { caseId: 'c-7' } }]);
    // Each call is a step of the attempt on the reasoning path.
    const path = await observability({ spine: h.spine, engine: h.service }).reasoningPath(runId, String(events.find((e) => e.type === 'task.completed')!.seq));
    const hop = path.hops.find((x) => x.nodeId === 'llm')!;
    expect(hop.attempts[0]!.tools!.map((t) => [t.tool, t.round, t.error !== undefined])).toEqual([
      ['mcp:case-clerk:cases:lookup_case', 1, false], ['mcp:case-clerk:cases:close_case', 2, true], ['sentiment', 2, false],
    ]);

    // The model got each result back, the tool's error as { error }.
    const toolMessages = fake.requests[2]!.body.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content!) as Record<string, Json>);
    expect(toolMessages).toMatchObject([{ caseId: 'c-7', status: 'open' }, { error: expect.stringMatching(/cannot be closed/) }, { sentiment: 'positive' }]);

    // The header went to the MCP server, and is sealed at rest.
    expect(new Set(tools.authorizations)).toEqual(new Set(['Bearer mcp-secret-42']));
    const row = await h.db.agent.findUnique({ where: { name: 'case-clerk' } });
    expect(row!.config).not.toContain('mcp-secret-42');
    expect(JSON.parse(row!.config).mcpServers[0].headers.Authorization).toEqual({ $enc: expect.any(String) });
  });

  it("offers only the server's tools its config lists: another one the model names is not called", async () => {
    const { h, fake, tools } = await setup(true, ['lookup_case']);
    fake.queue({ toolCalls: [{ name: 'cases__close_case', arguments: { caseId: 'c-9' } }] }, { content: 'ok' });
    const wf = await publishDocument(h, 'Case clerk', oneAgent('case-clerk') as never);
    const { runId } = await h.service.startRun(wf, { input: { caseId: 'c-9' } }, 'tom');
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)!.type).toBe('run.completed');
    expect(fake.requests[0]!.body.tools!.map((t) => t.function.name)).toEqual(['sentiment', 'cases__lookup_case']);
    expect(JSON.parse(fake.requests[1]!.body.messages.find((m) => m.role === 'tool')!.content!)).toEqual({ error: "no tool 'cases__close_case'" });
    expect(events.filter((e) => e.type === 'task.tool_called')).toEqual([]);
    expect(tools.calls).toEqual([]);
  });

  it('refuses an MCP server on a private address unless SPINE_OUTBOUND_ALLOW allows it: the task fails for good, nothing is called', async () => {
    const { h, tools } = await setup(false);
    const wf = await publishDocument(h, 'Case clerk', oneAgent('case-clerk') as never);
    const { runId } = await h.service.startRun(wf, { input: { caseId: 'c-8' } }, 'tom');
    const events = await waitForRun(h.spine, runId);
    const failed = events.find((e) => e.type === 'task.failed');
    expect(payloadOf(failed)).toMatchObject({ retryable: false, error: expect.stringMatching(/MCP server 'cases'.*(private|refused)/) });
    expect(events.at(-1)!.type).toBe('run.failed');
    expect(tools.authorizations).toEqual([]);
  });
});
