/**
 * MCP tools for LLM agents: the tools of the MCP servers an `openai` agent's config names (`mcpServers`),
 * listed and called with the SDK's `Client` over `StreamableHTTPClientTransport`, every request through the
 * outbound guard (the URL is user-given: private addresses refused unless SPINE_OUTBOUND_ALLOW allows them).
 *
 * So that each call is recorded exactly like a call of another Spine agent (`task.tool_called`, appended by
 * the engine's dispatcher, caused by the task's dispatch), an MCP tool is addressed through the same
 * `AgentTools` by a tool name the registry resolves: `mcp:<agent>:<server>:<tool>`. The registry
 * (registry.ts) hands such a name to `resolveMcpTool`, which finds the server in that agent's own config
 * and answers a record (the tool's description and input schema, for `describe`) and an adapter that makes
 * the call (for `call`). The adapter offers only its own agent's servers; a config's `tools` cannot name
 * an `mcp:` tool, so no agent borrows another's server credentials.
 *
 * A server's tool list is kept for LIST_TTL_MS (one task lists it once, however many tools it offers).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { isSpineError, NotFoundError } from '@/server/errors';
import { outboundFetch } from '@/server/net';
import type { Json } from '@/server/spine';
import { NonRetryableAgentError } from '../errors';
import type { AgentAdapter, AgentRecord, AgentTask } from '../adapter';
import { OpenAiAgentConfig, type McpServerConfig } from './config';

/** The SDK's client and transport, loaded by the first agent with MCP tools: a process with none does not hold them (~9 MiB). */
let mcpSdk: Promise<[typeof import('@modelcontextprotocol/sdk/client/index.js'), typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js')]> | undefined;
const loadMcp = () => (mcpSdk ??= Promise.all([import('@modelcontextprotocol/sdk/client/index.js'), import('@modelcontextprotocol/sdk/client/streamableHttp.js')]));

/** How long a server's tool list is reused. */
const LIST_TTL_MS = 30_000;
/** Per MCP request when the agent's config says nothing shorter. */
const DEFAULT_TIMEOUT_MS = 60_000;

export type McpToolRef = { agent: string; server: string; tool: string };

/** The name an MCP tool has in `AgentTools` and in `task.tool_called`: `mcp:<agent>:<server>:<tool>`. */
export const mcpToolName = (r: McpToolRef) => `mcp:${r.agent}:${r.server}:${r.tool}`;

export function parseMcpToolName(name: string): McpToolRef | null {
  const m = /^mcp:([^:]+):([^:]+):(.+)$/.exec(name);
  return m ? { agent: m[1]!, server: m[2]!, tool: m[3]! } : null;
}

/** fetch for the SDK: every request goes through the outbound guard (only string bodies: JSON-RPC). */
export const guardedFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  if (init.body != null && typeof init.body !== 'string') throw new Error('only string request bodies are sent');
  return outboundFetch(url, { method: init.method ?? 'GET', headers, ...(typeof init.body === 'string' && { body: init.body }), ...(init.signal && { signal: init.signal }) });
};

/** Connects, runs `fn`, closes; the guard's refusal fails for good, anything else (unreachable, 5xx) may be retried. */
async function withClient<T>(server: McpServerConfig, fn: (c: Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const [{ Client }, { StreamableHTTPClientTransport }] = await loadMcp();
  const client = new Client({ name: 'spine', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(server.url), { fetch: guardedFetch, ...(server.headers && { requestInit: { headers: server.headers } }) });
  try {
    await client.connect(transport);
    return await fn(client);
  } catch (e) {
    if (signal?.aborted) throw e;
    const cause = isSpineError(e) ? e : isSpineError((e as { cause?: unknown })?.cause) ? (e as { cause: Error }).cause : undefined;
    if (cause) throw new NonRetryableAgentError(`MCP server '${server.name}': ${cause.message}`, { cause });
    throw new Error(`MCP server '${server.name}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    await client.close().catch(() => undefined);
  }
}

const lists = new Map<string, { at: number; tools: Promise<Tool[]> }>();

/**
 * The tools the server lists (every page), or those of them its config allows. The listing is shared by the
 * tasks that ask within LIST_TTL_MS, so no one task's abort cuts it: it is bounded by the timeout.
 */
export async function listMcpTools(server: McpServerConfig, opts: { timeoutMs?: number } = {}): Promise<Tool[]> {
  const key = JSON.stringify([server.url, server.headers ?? {}]);
  let entry = lists.get(key);
  if (!entry || Date.now() - entry.at > LIST_TTL_MS) {
    const tools = withClient(server, async (c) => {
      const all: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await c.listTools(cursor ? { cursor } : undefined, { timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
        all.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && all.length < 1000);
      return all;
    });
    entry = { at: Date.now(), tools };
    lists.set(key, entry);
    tools.catch(() => lists.get(key) === entry && lists.delete(key));
  }
  const tools = await entry.tools;
  return server.tools ? tools.filter((t) => server.tools!.includes(t.name)) : tools;
}

/** The MCP tools of an agent's servers, as `AgentTools` names them; an abort (node timeout, cancel) stops the wait. */
export async function mcpToolsOf(agentName: string, cfg: OpenAiAgentConfig, signal: AbortSignal): Promise<{ name: string; server: string; tool: string }[]> {
  const out: { name: string; server: string; tool: string }[] = [];
  for (const server of cfg.mcpServers ?? []) {
    for (const t of await untilAborted(listMcpTools(server, { timeoutMs: cfg.timeoutMs }), signal)) out.push({ name: mcpToolName({ agent: agentName, server: server.name, tool: t.name }), server: server.name, tool: t.name });
  }
  return out;
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One MCP tool as an adapter: `invoke` calls it with the task's input as its arguments. */
class McpToolAdapter implements AgentAdapter {
  /** It acts for the `openai` agent whose config names the server (the registry never maps a kind to it). */
  readonly kind = 'openai' as const;
  constructor(private readonly server: McpServerConfig, private readonly tool: string, private readonly timeoutMs: number) {}

  async invoke(_agent: AgentRecord, task: AgentTask, signal: AbortSignal): Promise<Json> {
    const args = task.input !== null && typeof task.input === 'object' && !Array.isArray(task.input) ? (task.input as Record<string, unknown>) : {};
    const result = await withClient(this.server, (c) => c.callTool({ name: this.tool, arguments: args }, undefined, { signal, timeout: this.timeoutMs }), signal);
    const content = (result.content ?? []) as { type: string; text?: string }[];
    const text = content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n');
    if (result.isError) throw new Error(`MCP tool '${this.tool}' of '${this.server.name}' failed: ${text.slice(0, 500) || 'no detail'}`);
    if (result.structuredContent !== undefined) return result.structuredContent as Json;
    return content.every((c) => c.type === 'text') ? { text } : ({ content } as unknown as Json);
  }
}

/**
 * What the registry answers for `mcp:<agent>:<server>:<tool>`: the tool as a record (its description and
 * input schema) and the adapter that calls it, from `caller`'s own config (secrets open, as the store
 * gives them to the dispatcher).
 */
export async function resolveMcpTool(ref: McpToolRef, caller: AgentRecord): Promise<{ agent: AgentRecord; adapter: AgentAdapter }> {
  const name = mcpToolName(ref);
  const cfg = caller.kind === 'openai' ? OpenAiAgentConfig.safeParse(caller.config) : undefined;
  const server = cfg?.success ? cfg.data.mcpServers?.find((s) => s.name === ref.server) : undefined;
  if (!cfg?.success || !server) throw new NotFoundError('agent.not_found', `No MCP server '${ref.server}' in the config of agent '${ref.agent}'`, { name });
  const tool = (await listMcpTools(server, { timeoutMs: cfg.data.timeoutMs })).find((t) => t.name === ref.tool);
  if (!tool) throw new NotFoundError('agent.not_found', `MCP server '${ref.server}' offers no tool '${ref.tool}'`, { name });
  return {
    agent: { name, kind: 'openai', description: tool.description ?? tool.title ?? `The tool '${ref.tool}' of the MCP server '${ref.server}'.`, config: {}, inputSchema: tool.inputSchema as Json },
    adapter: new McpToolAdapter(server, tool.name, cfg.data.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  };
}
