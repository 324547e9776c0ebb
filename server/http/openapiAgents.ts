/**
 * The OpenAPI entries of `/api/v1/agents` (merged into openapi.ts's document). Request bodies are generated
 * from the zod schemas registration.ts parses with.
 */
import { z } from 'zod';
import { AGENT_KINDS, AgentDefinition, AgentPatch, REDACTED } from '@/server/agents';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]));
const name = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } };
const ok = (description: string, s: object, status = '200') => ({ [status]: { description, content: { 'application/json': { schema: s } } } });
const agentRef = { $ref: '#/components/schemas/Agent' };

const Agent = {
  type: 'object',
  required: ['name', 'kind', 'description', 'capabilities', 'config', 'limits', 'version', 'removed'],
  properties: {
    name: { type: 'string' },
    kind: { enum: [...AGENT_KINDS] },
    description: { type: 'string' },
    capabilities: { type: 'array', items: { type: 'string' } },
    inputSchema: { description: 'JSON Schema of the task input, or null' },
    outputSchema: { description: 'JSON Schema of the output, or null (the designer completes field names from it)' },
    config: { type: 'object', description: `Kind-specific. Secret fields (secret, apiKey, token, password, authorization, at any depth) read "${REDACTED}"; send that marker back in a PATCH to keep the secret.` },
    limits: { type: 'object', properties: { timeoutMs: { type: 'integer' }, concurrency: { type: 'integer' }, ratePerMinute: { type: 'integer' } } },
    version: { type: 'integer', description: 'Changing kind, config, schemas or limits makes a new version; task.dispatched records the version each task used (agentVersion)' },
    sideEffects: { type: 'boolean', description: 'Its calls reach the outside world (payments, bookings): a fork never calls it unless it allows side effects (answered from the recorded output, else `side_effect_blocked`). Changed in place, not a new version' },
    removed: { type: 'boolean' },
    removedAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

/** A PATCH body: the fields to change, and `force` to register an output schema that breaks a published reader. */
const PatchBody = AgentPatch.extend({ force: z.boolean().optional() });

export const agentSchemas = { Agent, AgentDefinition: schema(AgentDefinition), AgentPatch: schema(PatchBody) };

export const agentPaths = {
  '/api/v1/agents': {
    get: {
      summary: 'List registered agents',
      description: 'Any signed-in caller. Removed agents only with includeRemoved=true. Configs are redacted.',
      parameters: [{ name: 'includeRemoved', in: 'query', required: false, schema: { enum: ['true', 'false'] } }],
      responses: { ...ok('The agents', { type: 'object', required: ['agents'], properties: { agents: { type: 'array', items: agentRef } } }), ...errors(400, 401) },
    },
    post: {
      summary: 'Register an agent',
      description:
        'Architect or admin. Validated: the kind must have an adapter (400 `agent.unknown_kind`), the config must fit the kind (400 `agent.invalid_config`), input/output schemas must be valid JSON Schema (400 `agent.invalid_schema`). ' +
        'Recorded as `agent.registered` with the caller as source (no config in the payload). A removed agent registered again comes back as its next version.',
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AgentDefinition' } } } },
      responses: { ...ok('Registered', agentRef, '201'), ...errors(400, 401, 403, 409, 413) },
    },
  },
  '/api/v1/agents/{name}': {
    parameters: [name],
    get: { summary: 'One agent (removed ones too)', responses: { ...ok('The agent', agentRef), ...errors(401, 404) } },
    patch: {
      summary: 'Change an agent',
      description:
        'Architect or admin. Fields not sent stay. A change of kind, config, schemas or limits makes a new version. Recorded as `agent.changed` with the fields that changed. ' +
        'An output schema that removes or retypes a field a published workflow reads (`results.<node>.<field>` in any CEL condition or mapping of a step calling the agent) is refused with 409 `agent.schema_breaking`, `details.breaking` naming each place, unless `force: true`.',
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AgentPatch' } } } },
      responses: { ...ok('The agent as changed', agentRef), ...errors(400, 401, 403, 404, 409, 413) },
    },
    delete: {
      summary: 'Remove an agent',
      description: 'Architect or admin. Soft: past runs still show it; publishing a workflow that uses it is refused (`agent.removed`). Recorded as `agent.removed`.',
      responses: { ...ok('The agent as removed', agentRef), ...errors(401, 403, 404) },
    },
  },
  '/api/v1/agents/{name}/versions': {
    parameters: [name],
    get: {
      summary: "An agent's versions, newest first",
      responses: {
        ...ok('Versions', {
          type: 'object',
          properties: { name: { type: 'string' }, versions: { type: 'array', items: { type: 'object', required: ['version', 'createdBy', 'createdAt', 'record'], properties: { version: { type: 'integer' }, createdBy: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' }, record: { type: 'object', description: 'The definition as it was (config redacted)' } } } } },
        }),
        ...errors(401, 404),
      },
    },
  },
};
