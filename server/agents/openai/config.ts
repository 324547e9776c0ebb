/**
 * The config of an `openai` agent: any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama,
 * LM Studio, …). `apiKey` is sealed at rest like every secret field (server/auth/secretBox.ts).
 */
import { z } from 'zod';

export const OPENAI_OUTPUT_MODES = ['text', 'json'] as const;
export type OpenAiOutputMode = (typeof OPENAI_OUTPUT_MODES)[number];

/** How an MCP server is named in an agent's config (and in the tool names offered to the model). */
export const MCP_SERVER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * An MCP server whose tools the agent may call (Streamable HTTP). `headers` go with every request to it;
 * a header whose name is a secret field's (`Authorization`, `Token`, `ApiKey`, `Secret`, `Password`; any case) is sealed at
 * rest like `apiKey` and shown to people redacted, as for HTTP agents. Other headers are stored as given.
 */
export const McpServerConfig = z
  .object({
    /** Lower-case letters, digits, `-` and `_`; unique within the agent. */
    name: z.string().regex(MCP_SERVER_NAME_PATTERN, 'MCP server names are lower-case letters, digits, - and _ (at most 32)'),
    /** The server's Streamable HTTP endpoint, e.g. `https://tools.example/mcp`. */
    url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'url must be http(s)'),
    headers: z.record(z.string().min(1).max(128), z.string().max(8192)).optional(),
    /** Only these of the server's tools are offered. @default every tool the server lists */
    tools: z.array(z.string().min(1).max(128)).max(128).optional(),
  })
  .strict();
export type McpServerConfig = z.infer<typeof McpServerConfig>;

export const OpenAiAgentConfig = z
  .object({
    /** The API's base URL, up to and including its version segment: `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
    baseUrl: z.string().url().refine((u) => /^https?:\/\//.test(u), 'baseUrl must be http(s)'),
    model: z.string().min(1).max(200),
    /** Sent as `Authorization: Bearer …`; local servers usually need none. */
    apiKey: z.string().max(4096).optional(),
    /** A template like `userPrompt`. */
    systemPrompt: z.string().max(100_000).optional(),
    /**
     * The user message, a template: `{{input.facts}}`, `{{intent}}`, `{{constraints}}`, `{{state.address}}`,
     * `{{history}}` (prompt.ts). A string is inserted as is, anything else as JSON; `{{json x}}` is always JSON.
     * @default the task input as JSON
     */
    userPrompt: z.string().max(100_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().min(1).max(1_000_000).optional(),
    /** Per request to the endpoint (the node's timeout still bounds the whole task). @default 60000 */
    timeoutMs: z.number().int().min(1).max(3_600_000).default(60_000),
    /** `text`: the output is `{ text }`; `json`: the answer parsed and validated against the agent's output schema. @default 'text' */
    output: z.enum(OPENAI_OUTPUT_MODES).default('text'),
    /** Names of other Spine agents offered to the model as function tools. */
    tools: z.array(z.string().min(1).max(64).refine((t) => !t.includes(':'), 'tools name Spine agents (MCP tools come from mcpServers)')).max(32).optional(),
    /** MCP servers whose tools are offered to the model too; each call is recorded like an agent call (`task.tool_called`). */
    mcpServers: z
      .array(McpServerConfig)
      .max(8)
      .refine((list) => new Set(list.map((m) => m.name)).size === list.length, 'MCP server names must be unique')
      .optional(),
    /** Tool-call rounds before the task fails. @default 8 */
    maxToolRounds: z.number().int().min(1).max(32).default(8),
    /** Price per 1M tokens (any currency), so the dashboard can show cost. */
    pricePerMTokens: z.object({ input: z.number().min(0), output: z.number().min(0) }).strict().optional(),
  })
  .strict();
export type OpenAiAgentConfig = z.infer<typeof OpenAiAgentConfig>;
