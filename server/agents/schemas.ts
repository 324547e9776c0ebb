/**
 * What an agent's registration may say, parsed: its definition (name, kind, description, capabilities,
 * input/output JSON Schema, kind-specific config, limits) and the checks a definition passes before it is
 * stored. A schema an agent declares must itself be valid JSON Schema (draft-07, checked with Ajv against the
 * meta-schema, then compiled); each version's schemas are compiled once and kept (`validatorsOf`), so whoever
 * validates an agent's input or output against them (the LLM adapter's JSON mode) pays for it once.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { Json, type Json as JsonValue } from '@/server/spine/events';
import { AGENT_KINDS, type AgentUsage } from './adapter';

export const AGENT_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const AgentName = z.string().regex(AGENT_NAME_PATTERN, 'agent names are lower-case letters, digits and dashes (at most 64)');

/** Limits of an agent; every field optional (no limit). Durations in ms. */
export const AgentLimits = z
  .object({
    /** Upper bound for one task. */
    timeoutMs: z.number().int().min(1).max(24 * 60 * 60_000).optional(),
    /** Tasks in flight at once. */
    concurrency: z.number().int().min(1).max(10_000).optional(),
    /** Tasks started per minute. */
    ratePerMinute: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();
export type AgentLimits = z.infer<typeof AgentLimits>;

/** A JSON Schema an agent declares (an object or a boolean schema); null = none. Checked by `checkJsonSchema`. */
const SchemaField = z.union([z.record(z.string(), Json), z.boolean()]).nullable();

const fields = {
  kind: z.enum(AGENT_KINDS),
  description: z.string().max(1000),
  /** Free tags, e.g. `legal`, `summarize`. */
  capabilities: z.array(z.string().trim().min(1).max(64)).max(32),
  inputSchema: SchemaField,
  outputSchema: SchemaField,
  /** Kind-specific (the kind's adapter parses it); secret fields are sealed at rest and never returned. */
  config: z.record(z.string(), Json),
  limits: AgentLimits,
  /** Its calls reach the outside world (a payment, a booking): forks never call it unless they allow side effects. */
  sideEffects: z.boolean(),
};

/** A registration as the API and the form send it. Public objects are strict. */
export const AgentDefinition = z
  .object({
    name: AgentName,
    kind: fields.kind,
    /** @default '' */
    description: fields.description.default(''),
    /** @default [] */
    capabilities: fields.capabilities.default([]),
    /** @default null (none) */
    inputSchema: fields.inputSchema.default(null),
    /** @default null (none) */
    outputSchema: fields.outputSchema.default(null),
    /** @default {} */
    config: fields.config.default({}),
    /** @default {} (no limits) */
    limits: fields.limits.default({}),
    /** @default false */
    sideEffects: fields.sideEffects.default(false),
  })
  .strict();
export type AgentDefinition = z.output<typeof AgentDefinition>;
export type AgentDefinitionInput = z.input<typeof AgentDefinition>;

/** A change: any field but the name. A config that sends the redacted marker back for a secret keeps the secret. */
export const AgentPatch = z.object(fields).partial().strict();
export type AgentPatch = z.input<typeof AgentPatch>;

/** The fields whose change makes a new version (a description or tag change is recorded in place). */
export const VERSIONED_FIELDS = ['kind', 'config', 'inputSchema', 'outputSchema', 'limits'] as const;

// ajv-formats is CommonJS; under ESM interop its default export is the plugin or a namespace holding it.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, validateSchema: true }));

/** Refuses (400 `agent.invalid_schema`) a value that is not a JSON Schema, naming the field and what is wrong. */
export function checkJsonSchema(field: 'inputSchema' | 'outputSchema', schema: JsonValue | null): void {
  if (schema === null) return;
  if (!ajv.validateSchema(schema as object | boolean)) {
    const why = ajv.errorsText(ajv.errors, { dataVar: field, separator: '; ' });
    throw new ValidationError('agent.invalid_schema', `${field} is not a valid JSON Schema: ${why}`, { field });
  }
  try {
    ajv.compile(schema as object | boolean);
  } catch (e) {
    throw new ValidationError('agent.invalid_schema', `${field} is not a valid JSON Schema: ${(e as Error).message}`, { field });
  }
}

const compiled = new Map<string, { input?: ValidateFunction; output?: ValidateFunction }>();

/**
 * The compiled validators of one version of an agent (compiled on first use, then kept).
 * @example const { output } = validatorsOf(agent); if (output && !output(result)) throw ...
 */
export function validatorsOf(agent: { name: string; version?: number; inputSchema?: JsonValue | null; outputSchema?: JsonValue | null }): { input?: ValidateFunction; output?: ValidateFunction } {
  const key = `${agent.name}@${agent.version ?? 0}`;
  let v = compiled.get(key);
  if (!v || agent.version === undefined) {
    v = {
      ...(agent.inputSchema != null && { input: ajv.compile(agent.inputSchema as object | boolean) }),
      ...(agent.outputSchema != null && { output: ajv.compile(agent.outputSchema as object | boolean) }),
    };
    if (agent.version !== undefined) compiled.set(key, v);
  }
  return v;
}

/** A validator's errors as one readable line. */
export function schemaErrorsText(v: ValidateFunction, dataVar = 'output'): string {
  return ajv.errorsText(v.errors, { dataVar, separator: '; ' });
}

/** An agent answered with an output its registered output schema refuses: the task fails (retryable: retry and error edges apply). */
export class OutputContractError extends Error {
  constructor(message: string, readonly usage?: AgentUsage) {
    super(message);
    this.name = 'OutputContractError';
  }
}

/**
 * The contract check on every completion: throws OutputContractError naming the first violation's path
 * when `output` does not satisfy the output schema of the agent version that answered.
 */
export function checkAgentOutput(agent: { name: string; version?: number; inputSchema?: JsonValue | null; outputSchema?: JsonValue | null }, output: unknown, usage?: AgentUsage): void {
  const { output: validate } = validatorsOf(agent);
  if (!validate || validate(output)) return;
  const first = validate.errors?.[0];
  const at = first?.instancePath ? `output${first.instancePath.replaceAll('/', '.')}` : 'output';
  throw new OutputContractError(`output breaks the output schema of ${agent.name}${agent.version !== undefined ? ` v${agent.version}` : ''}: ${at} ${first?.message ?? 'is invalid'}`, usage);
}
