/**
 * The config of an `openai` agent: any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama,
 * LM Studio, …). `apiKey` is sealed at rest like every secret field (server/auth/secretBox.ts).
 */
import { z } from 'zod';

export const OPENAI_OUTPUT_MODES = ['text', 'json'] as const;
export type OpenAiOutputMode = (typeof OPENAI_OUTPUT_MODES)[number];

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
    tools: z.array(z.string().min(1).max(64)).max(32).optional(),
    /** Tool-call rounds before the task fails. @default 8 */
    maxToolRounds: z.number().int().min(1).max(32).default(8),
    /** Price per 1M tokens (any currency), so the dashboard can show cost. */
    pricePerMTokens: z.object({ input: z.number().min(0), output: z.number().min(0) }).strict().optional(),
  })
  .strict();
export type OpenAiAgentConfig = z.infer<typeof OpenAiAgentConfig>;
