/**
 * The registration form's state and its translation to what `agents.create` / `agents.update` take. The
 * form keeps strings (what people type); `toDefinition` turns them into a definition or into field errors
 * (a JSON field that does not parse, a number that is not one) before anything is sent. The server checks
 * the rest and answers `<field path>: <reason>`; `fieldOfServerError` puts that message under its field.
 *
 * Known fields per kind: builtin (behaviour, simulated latency), http (url, signing secret, headers),
 * openai (the LLM kind's config, its MCP servers as a JSON list), a2a (Agent Card URL, bearer token; the card
 * itself is fetched by the server). Any other kind is edited as raw JSON.
 */

export type FieldSpec = {
  key: string; label: string; type: 'text' | 'secret' | 'number' | 'textarea' | 'select' | 'list'; hint?: string; options?: string[]; placeholder?: string;
  /** A textarea holding JSON: the object or list it must parse to. */
  json?: 'object' | 'array';
};

/** The config fields the form shows for each known kind (others: raw JSON). */
export const KIND_FIELDS: Record<string, FieldSpec[]> = {
  builtin: [
    { key: 'behaviour', label: 'Behaviour', type: 'text', hint: 'A builtin behaviour (e.g. echo); empty: the agent’s name.' },
    { key: 'latencyMs', label: 'Simulated latency (ms)', type: 'number' },
  ],
  http: [
    { key: 'url', label: 'Webhook URL', type: 'text', placeholder: 'https://agents.example/triage', hint: 'Tasks are POSTed here as JSON; the JSON answer is the result.' },
    { key: 'secret', label: 'Signing secret', type: 'secret', hint: 'Optional, at least 16 characters. Requests are signed (Standard Webhooks). Stored sealed, never shown again.' },
    { key: 'headers', label: 'Extra headers (JSON object)', type: 'textarea', json: 'object', placeholder: '{ "Authorization": "Bearer …" }' },
  ],
  a2a: [
    { key: 'cardUrl', label: 'Agent Card URL', type: 'text', placeholder: 'https://agents.example/.well-known/agent-card.json', hint: 'Spine fetches the card (its skills, endpoint, streaming) when you save.' },
    { key: 'token', label: 'Bearer token', type: 'secret', hint: 'Optional: sent as Authorization: Bearer … (an API key the card’s security asks for). Stored sealed, never shown again.' },
  ],
  openai: [
    { key: 'baseUrl', label: 'Base URL', type: 'text', placeholder: 'http://127.0.0.1:11434/v1', hint: 'Any OpenAI-compatible Chat Completions endpoint.' },
    { key: 'model', label: 'Model', type: 'text', placeholder: 'llama3.1' },
    { key: 'apiKey', label: 'API key', type: 'secret', hint: 'Stored sealed, never shown again.' },
    { key: 'systemPrompt', label: 'System prompt', type: 'textarea' },
    { key: 'userPrompt', label: 'User prompt template', type: 'textarea', hint: 'Over the task input and the envelope (intent, constraints, state, history).' },
    { key: 'output', label: 'Output', type: 'select', options: ['text', 'json'], hint: 'json: validated against the output schema.' },
    { key: 'temperature', label: 'Temperature', type: 'number' },
    { key: 'maxTokens', label: 'Max tokens', type: 'number' },
    { key: 'timeoutMs', label: 'Request timeout (ms)', type: 'number', hint: 'Per request to the endpoint; the node’s timeout bounds the whole task.' },
    { key: 'tools', label: 'Tools (agent names, comma-separated)', type: 'list' },
    {
      key: 'mcpServers',
      label: 'MCP servers (JSON list)',
      type: 'textarea',
      json: 'array',
      placeholder: '[{ "name": "cases", "url": "https://tools.example/mcp", "headers": { "Authorization": "Bearer …" } }]',
      hint: 'Their tools are offered to the model as <name>__<tool>; each call is recorded as a step. "tools": [...] offers only those. An Authorization header is stored sealed and shown as ••••••, which keeps it when sent back.',
    },
    { key: 'priceInput', label: 'Price per 1M input tokens', type: 'number' },
    { key: 'priceOutput', label: 'Price per 1M output tokens', type: 'number' },
  ],
};

/** The skills of an a2a agent's fetched Agent Card (`config.card`), as the registry shows them. */
export type A2aSkill = { id: string; name: string; description: string; tags: string[] };
export function a2aSkillsOf(config: Record<string, unknown>): A2aSkill[] {
  const card = config.card as { skills?: unknown } | undefined;
  if (!card || !Array.isArray(card.skills)) return [];
  return card.skills.flatMap((s: unknown) => {
    if (!s || typeof s !== 'object') return [];
    const x = s as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    return [{ id: str(x.id), name: str(x.name) || str(x.id), description: str(x.description), tags: Array.isArray(x.tags) ? x.tags.filter((t): t is string => typeof t === 'string') : [] }];
  });
}

/** What an a2a agent's card says about it beside its skills (null: no card fetched). */
export function a2aCardSummary(config: Record<string, unknown>): { name: string; url: string; streaming: boolean; version: string } | null {
  const card = config.card as { name?: unknown; url?: unknown; version?: unknown; capabilities?: { streaming?: unknown } } | undefined;
  if (!card || typeof card !== 'object') return null;
  return { name: String(card.name ?? ''), url: String(card.url ?? ''), streaming: card.capabilities?.streaming === true, version: String(card.version ?? '') };
}

/** The config as the detail shows it: an a2a agent's card is shown as its skills, not as JSON. */
export function configShown(kind: string, config: Record<string, unknown>): Record<string, unknown> {
  if (kind !== 'a2a') return config;
  const { card: _card, ...rest } = config;
  return rest;
}

export type AgentDraft = {
  name: string;
  kind: string;
  description: string;
  /** Comma-separated tags. */
  capabilities: string;
  /** Known fields of the kind, as typed. */
  fields: Record<string, string>;
  /** The config as JSON, for kinds without known fields. */
  rawConfig: string;
  inputSchema: string;
  outputSchema: string;
  timeoutMs: string;
  concurrency: string;
  ratePerMinute: string;
  /** Its calls reach the outside world (payments, bookings): forks never call it unless they allow it. */
  sideEffects: boolean;
};

export const emptyDraft = (kind = 'http'): AgentDraft => ({
  name: '', kind, description: '', capabilities: '', fields: kind === 'openai' ? { output: 'text' } : {}, rawConfig: '{}', inputSchema: '', outputSchema: '', timeoutMs: '', concurrency: '', ratePerMinute: '', sideEffects: false,
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Def = { name: string; kind: string; description: string; capabilities: string[]; config: Record<string, Json>; inputSchema: Json; outputSchema: Json; limits: Record<string, number>; sideEffects: boolean };

const pretty = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v, null, 2));

/** The draft of a stored agent (config redacted: a secret reads as the marker, which keeps it when sent back). */
export function draftOf(a: { name: string; kind: string; description: string; capabilities: string[]; config: Record<string, unknown>; inputSchema: unknown; outputSchema: unknown; limits: { timeoutMs?: number; concurrency?: number; ratePerMinute?: number }; sideEffects?: boolean }): AgentDraft {
  const specs = KIND_FIELDS[a.kind];
  const fields: Record<string, string> = {};
  if (specs) {
    const cfg = a.config as Record<string, unknown> & { pricePerMTokens?: { input?: number; output?: number } };
    for (const f of specs) {
      const v = f.key === 'priceInput' ? cfg.pricePerMTokens?.input : f.key === 'priceOutput' ? cfg.pricePerMTokens?.output : cfg[f.key];
      if (v === undefined || v === null) continue;
      fields[f.key] = f.type === 'textarea' && typeof v === 'object' ? pretty(v) : f.type === 'list' && Array.isArray(v) ? v.join(', ') : String(v);
    }
  }
  const n = (v: number | undefined) => (v === undefined ? '' : String(v));
  return {
    name: a.name, kind: a.kind, description: a.description, capabilities: a.capabilities.join(', '), fields, rawConfig: pretty(a.config) || '{}',
    inputSchema: pretty(a.inputSchema), outputSchema: pretty(a.outputSchema), timeoutMs: n(a.limits.timeoutMs), concurrency: n(a.limits.concurrency), ratePerMinute: n(a.limits.ratePerMinute), sideEffects: a.sideEffects === true,
  };
}

/** The definition a draft stands for, or the errors by field (`config.url`, `outputSchema`, `limits.timeoutMs`). */
export function toDefinition(d: AgentDraft): { ok: true; definition: Def } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const json = (field: string, text: string, fallback: Json): Json => {
    if (text.trim() === '') return fallback;
    try {
      return JSON.parse(text) as Json;
    } catch (e) {
      errors[field] = `not valid JSON: ${(e as Error).message}`;
      return fallback;
    }
  };
  const number = (field: string, text: string): number | undefined => {
    if (text.trim() === '') return undefined;
    const v = Number(text);
    if (!Number.isFinite(v)) errors[field] = 'a number';
    return v;
  };
  let config: Record<string, Json> = {};
  const specs = KIND_FIELDS[d.kind];
  if (specs) {
    const price: Record<string, number> = {};
    for (const f of specs) {
      const text = d.fields[f.key] ?? '';
      if (text.trim() === '') continue;
      const at = `config.${f.key}`;
      if (f.key === 'priceInput' || f.key === 'priceOutput') {
        const v = number(at, text);
        if (v !== undefined) price[f.key === 'priceInput' ? 'input' : 'output'] = v;
      } else if (f.type === 'number') {
        const v = number(at, text);
        if (v !== undefined) config[f.key] = v;
      } else if (f.type === 'textarea' && f.json) {
        const v = json(at, text, f.json === 'array' ? [] : {});
        if (f.json === 'array' ? !Array.isArray(v) : v === null || typeof v !== 'object' || Array.isArray(v)) errors[at] ??= f.json === 'array' ? 'a JSON list' : 'a JSON object';
        config[f.key] = v;
      }
      else if (f.type === 'list') config[f.key] = text.split(',').map((s) => s.trim()).filter(Boolean);
      else config[f.key] = text;
    }
    if (Object.keys(price).length) config.pricePerMTokens = price;
  } else {
    const raw = json('config', d.rawConfig, {});
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) errors.config ??= 'a JSON object';
    else config = raw;
  }
  const limits: Record<string, number> = {};
  for (const k of ['timeoutMs', 'concurrency', 'ratePerMinute'] as const) {
    const v = number(`limits.${k}`, d[k]);
    if (v !== undefined) limits[k] = v;
  }
  const definition: Def = {
    name: d.name.trim(), kind: d.kind, description: d.description, capabilities: d.capabilities.split(',').map((s) => s.trim()).filter(Boolean), config,
    inputSchema: json('inputSchema', d.inputSchema, null), outputSchema: json('outputSchema', d.outputSchema, null), limits, sideEffects: d.sideEffects,
  };
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, definition };
}

const FIELD_PATHS = ['name', 'kind', 'description', 'capabilities', 'inputSchema', 'outputSchema', 'config', 'limits'];

/**
 * The field a server refusal is about, from its message (`config.url: Invalid URL`, `outputSchema is not a
 * valid JSON Schema: …`): the path before the colon, cut to a field the form has. Null: show it on the form.
 */
export function fieldOfServerError(message: string, known: ReadonlySet<string>): string | null {
  const head = /^([A-Za-z0-9_.]+)(?::| is )/.exec(message)?.[1];
  if (!head || !FIELD_PATHS.includes(head.split('.')[0]!)) return null;
  const parts = head.split('.');
  for (let n = parts.length; n > 0; n--) {
    const p = parts.slice(0, n).join('.');
    if (known.has(p)) return p;
  }
  return null;
}

/** Field names of an output schema's top-level object properties (what the designer completes `results.<node>.` with). */
export function outputFields(schema: unknown): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const props = (schema as { properties?: unknown }).properties;
  return props && typeof props === 'object' && !Array.isArray(props) ? Object.keys(props) : [];
}
