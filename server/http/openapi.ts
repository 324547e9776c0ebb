/**
 * The OpenAPI 3.1 document for `/api/v1`, served at `/api/v1/openapi.json`. Request schemas are generated
 * from the same zod schemas the handlers parse with, so the document cannot drift from the validation.
 */
import { z } from 'zod';
import { EventInput, SOURCE_KINDS } from '@/server/spine/events';
import { RESERVED_EVENT_NAMESPACES, RUN_STATUSES } from '@/server/spine';
import { ApprovalDecisionInput, ContextPatchInput, ForkRunInput, StartRunInput } from '@/server/engine';
import { AgentKeyInput } from '@/server/agents';
import { json } from './errors';
import { A2aExposureBody, CreateWorkflowBody, PublishBody, SaveDraftBody } from './v1/workflows';
import { agentPaths, agentSchemas } from './openapiAgents';
import { evaluationPaths } from './openapiEvaluations';
import { ClaimBody, ErrorBody, HeartbeatBody, ResultBody } from './v1/agentTasks';
import { CommitBody } from './v1/consumers';
import { SchemaPut } from './v1/schemas';
import type { Role } from '@/server/auth/roles';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });

const Error = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', example: 'event.invalid' }, message: { type: 'string' } } } },
};
const SpineEvent = {
  type: 'object',
  required: ['seq', 'id', 'type', 'source', 'time', 'payload', 'hash', 'prevHash'],
  properties: {
    seq: { type: 'integer', description: 'Global, gapless, commit-ordered sequence number' },
    id: { type: 'string', description: 'UUIDv7' },
    type: { type: 'string', example: 'case.opened' },
    key: { type: ['string', 'null'], description: 'Entity key for per-entity ordering, e.g. booking:42' },
    runId: { type: ['string', 'null'] },
    causationId: { type: ['string', 'null'], description: 'Id of the event that caused this one (engine events always name it)' },
    source: { type: 'object', description: 'Who wrote the event, set by the server from the authenticated caller', properties: { kind: { enum: [...SOURCE_KINDS] }, name: { type: 'string' } } },
    time: { type: 'string', format: 'date-time' },
    envelopeVersion: { type: ['integer', 'null'] },
    payload: {},
    idempotencyKey: { type: ['string', 'null'] },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
};
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]));
const q = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
/** W3C Trace Context headers: a run this request starts joins the caller's trace (README, "Tracing"). */
const traceHeaders = (what: string) => [
  { name: 'traceparent', in: 'header', required: false, description: `W3C trace context (\`00-<trace id>-<span id>-<flags>\`): ${what} joins this trace, under this span. Ignored when invalid.`, schema: { type: 'string', pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}' } },
  { name: 'tracestate', in: 'header', required: false, description: 'W3C trace state, passed on with the trace.', schema: { type: 'string' } },
];

/**
 * The access an operation needs, machine-readable (`x-spine-access`), as its handler checks it
 * (server/http/auth.ts `Need`): `read` (anyone signed in, cut to a key's read scope), `role` (one of the
 * roles), `startRuns` (operators or keys allowed to start runs), `publish` (operators or keys whose publish
 * scope covers the event's type). Spine's MCP tools (server/mcp) are these operations; a unit test holds
 * each tool to its operation's access.
 */
export type OperationAccess = { kind: 'read' } | { kind: 'role'; roles: Role[] } | { kind: 'startRuns' } | { kind: 'publish' };
const access = (a: OperationAccess) => ({ 'x-spine-access': a });

/**
 * API v1 for automation (issue 12 §4): the run list, the workflow library (create, draft, publish, archive,
 * restore), decided approvals are on /api/v1/approvals (status=decided), the envelope at a version on
 * /api/v1/runs/{runId}/envelope. Kept in one block so other paths can be added beside it.
 */
const automationPaths = {
  '/api/v1/runs': {
    get: {
      ...access({ kind: 'read' }),
      summary: 'Runs, newest first, a page at a time: follow nextCursor until it is null',
      description:
        'Filters combine (all must hold). The cursor is opaque and keyset-based (the start seq of the last run shown): runs that start while you page appear at the top of the first page, never on a later one. ' +
        'A filter value that is wrong is 400 `request.invalid_query` naming the parameter (`details.param`); an unknown workflow is 404 `workflow.not_found`.',
      parameters: [
        q('workflow', 'A workflow id or slug'),
        q('status', `One status or several, comma-separated: ${RUN_STATUSES.join(', ')}`),
        q('key', 'The entity key the runs were started for, e.g. case:7'),
        q('startedAfter', 'Started at or after this instant (ISO 8601)', { type: 'string', format: 'date-time' }),
        q('startedBefore', 'Started before this instant (ISO 8601)', { type: 'string', format: 'date-time' }),
        q('limit', '1..200, default 50', { type: 'integer', minimum: 1, maximum: 200 }),
        q('cursor', "The previous page's nextCursor"),
      ],
      responses: {
        '200': {
          description: 'A page',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['runs', 'nextCursor'],
                properties: {
                  runs: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['id', 'workflow', 'version', 'status', 'key', 'startedBy', 'startedAt', 'updatedAt', 'endedAt', 'startedSeq', 'lastSeq', 'waitingOn', 'error'],
                      properties: {
                        id: { type: 'string' },
                        workflow: { type: 'object', properties: { id: { type: 'string' }, slug: { type: ['string', 'null'] }, name: { type: ['string', 'null'] } } },
                        version: { type: 'integer' },
                        status: { enum: [...RUN_STATUSES] },
                        key: { type: ['string', 'null'] },
                        startedBy: { type: ['string', 'null'] },
                        startedAt: { type: 'string', format: 'date-time' },
                        updatedAt: { type: 'string', format: 'date-time' },
                        endedAt: { type: ['string', 'null'], format: 'date-time' },
                        startedSeq: { type: 'integer', description: 'The seq of its run.started' },
                        lastSeq: { type: 'integer' },
                        waitingOn: { type: 'array', items: { type: 'object', properties: { kind: { enum: ['approval', 'timer', 'key', 'agent', 'other'] }, label: { type: 'string' } } } },
                        error: { type: ['string', 'null'] },
                      },
                    },
                  },
                  nextCursor: { type: ['string', 'null'] },
                },
              },
            },
          },
        },
        ...errors(400, 401, 404),
      },
    },
  },
  '/api/v1/workflows/{workflowId}/draft': {
    get: { summary: 'The current draft (document and draftRevision), published or not, archived or not', parameters: [pathParam('workflowId')], responses: { '200': { description: 'Workflow with draft' }, ...errors(401, 404) } },
    put: {
      summary: 'Save the draft (architect); 409 workflow.draft_conflict when expectedRevision is not the current revision',
      description: 'Recorded as `workflow.draft_saved` (saves by one caller less than 60 s apart are one event, recorded when the burst ends or before a publish).',
      parameters: [pathParam('workflowId')],
      requestBody: { required: true, content: { 'application/json': { schema: schema(SaveDraftBody) } } },
      responses: { '200': { description: '{ draftRevision }' }, ...errors(400, 401, 403, 404, 409, 413) },
    },
  },
  '/api/v1/workflows/{workflowId}/publish': {
    post: {
      summary: 'Publish the saved draft as the next immutable version (architect); 400 workflow.invalid with details.problems when it has errors',
      parameters: [pathParam('workflowId')],
      requestBody: { required: false, content: { 'application/json': { schema: schema(PublishBody) } } },
      responses: { '200': { description: '{ version, problems }' }, ...errors(400, 401, 403, 404, 413) },
    },
  },
  '/api/v1/workflows/{workflowId}/archive': {
    post: { summary: 'Archive a workflow (architect): hidden from the list, starts no runs (workflow.archived)', parameters: [pathParam('workflowId')], responses: { '200': { description: 'Workflow summary' }, ...errors(401, 403, 404) } },
  },
  '/api/v1/workflows/{workflowId}/restore': {
    post: { summary: 'Restore an archived workflow (architect; workflow.restored)', parameters: [pathParam('workflowId')], responses: { '200': { description: 'Workflow summary' }, ...errors(401, 403, 404) } },
  },
  '/api/v1/workflows/{workflowId}/a2a': {
    post: {
      summary: 'Expose the workflow as an A2A agent, or withdraw it (architect; workflow.a2a_exposed / workflow.a2a_withdrawn)',
      description: 'While exposed, published and not archived, the workflow has an Agent Card at `/api/a2a/{workflowId}/agent-card.json` and a JSON-RPC endpoint at `/api/a2a/{workflowId}` (A2A 0.3; a key allowed to start runs as bearer), and is a skill of `/.well-known/agent-card.json`.',
      parameters: [pathParam('workflowId')],
      requestBody: { required: true, content: { 'application/json': { schema: schema(A2aExposureBody) } } },
      responses: { '200': { description: 'Workflow summary (a2aExposed)' }, ...errors(400, 401, 403, 404) },
    },
  },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Spine API', version: '1', description: 'The event spine: an ordered, durable, hash-chained event log for multi-agent systems.' },
  paths: {
    ...automationPaths,
    ...agentPaths,
    ...evaluationPaths,
    '/api/v1/events': {
      post: {
        ...access({ kind: 'publish' }),
        summary: 'Publish an event',
        description:
          'Appends one event. With an idempotencyKey seen before (from the same caller), returns the original seq and id with 200 and appends nothing. Also accepts a structured CloudEvent (application/cloudevents+json); its source+id becomes the idempotency key.\n\n' +
          'The source is the authenticated caller (`user` for a person, `apiKey` for a key); a body whose `source` names anyone else gets 400 `event.source_not_allowed`, and a CloudEvent source of the form `/spine/<kind>/<name>` must be the caller.\n\n' +
          '**Reserved event types** (403 `event.reserved_type`, nothing appended): only Spine appends these; the message names the endpoint to use instead.\n' +
          Object.entries(RESERVED_EVENT_NAMESPACES).map(([ns, use]) => `- \`${ns === 'context.patched' ? ns : `${ns}.*`}\`: ${use}`).join('\n'),
        parameters: traceHeaders('every run the event triggers'),
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/EventInput' } },
            'application/cloudevents+json': { schema: { type: 'object', required: ['specversion', 'id', 'source', 'type'] } },
          },
        },
        responses: {
          '201': { description: 'Appended', content: { 'application/json': { schema: { type: 'object', properties: { seq: { type: 'integer' }, id: { type: 'string' } } } } } },
          '200': { description: 'Idempotent repeat: the original event' },
          ...errors(400, 401, 403, 413, 415),
        },
      },
      get: {
        summary: 'Read events in seq order',
        parameters: [
          q('after', 'Exclusive cursor (seq)', { type: 'integer', minimum: 0 }),
          q('limit', '1..1000, default 100', { type: 'integer', minimum: 1, maximum: 1000 }),
          q('types', 'Comma-separated type patterns; * matches one segment, a trailing * one or more'),
          q('key', 'Entity key'),
          q('runId', 'Run id'),
          q('format', 'spine (default) or cloudevents', { enum: ['spine', 'cloudevents'] }),
        ],
        responses: {
          '200': { description: 'A page', content: { 'application/json': { schema: { type: 'object', properties: { events: { type: 'array', items: { $ref: '#/components/schemas/SpineEvent' } }, nextAfter: { type: 'integer' } } } } } },
          ...errors(400),
        },
      },
    },
    '/api/v1/events/stream': {
      get: {
        summary: 'Stream events (Server-Sent Events)',
        description: 'History after the cursor, then live events. Each message has `id: <seq>`; reconnect with Last-Event-ID to resume without gap or duplicate.',
        parameters: [q('after', 'Exclusive cursor (seq)', { type: 'integer', minimum: 0 }), q('types', 'Type patterns'), q('key', 'Entity key'), q('runId', 'Run id'), q('format', 'spine or cloudevents')],
        responses: { '200': { description: 'text/event-stream' }, ...errors(400) },
      },
    },
    '/api/v1/agents/{name}/keys': {
      post: {
        summary: 'Make an agent key for a registered agent (architect or admin); the secret is in the response, once',
        description: 'An agent key is bound to one agent: it receives only that agent’s tasks, posts only their results and publishes only the event types in `publish`. It reads no other events and starts no runs.',
        parameters: [pathParam('name')],
        requestBody: { required: true, content: { 'application/json': { schema: schema(AgentKeyInput) } } },
        responses: { '201': { description: '{ id, name, prefix, scopes, secret }' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/agent/tasks/stream': {
      get: {
        summary: "An sdk agent's tasks (Server-Sent Events; agent key)",
        description:
          '`event: task` with `{ id, eventId, key, runId, nodeId, attempt }` for each task dispatched to the key’s agent; the task id is the seq of its `task.dispatched`, also the message id, so Last-Event-ID (or `?after=`) resumes after a disconnect. ' +
          '`event: cancel` with `{ id, key, reason }` when a task it was offered is cancelled (its run ended, or the attempt timed out). Without a cursor the stream starts at the oldest task still on offer to the agent. ' +
          'With `capacity`, the stream claims for its process: while fewer than `capacity` of the tasks it leased are open, a task comes already leased, with `claim: { token, leaseMs, expiresAt, task }` as the claim endpoint answers (no claim request needed); past it, or for a node outside `handles`, the task comes as a bare offer.',
        parameters: [
          q('after', 'Exclusive cursor (seq)', { type: 'integer', minimum: 0 }),
          q('capacity', 'Tasks the process takes at once: the stream leases tasks to it up to this many open', { type: 'integer', minimum: 1, maximum: 10000 }),
          q('holder', 'Names the process in the leases the stream takes (`<key>/<holder>`)', { type: 'string', maxLength: 200 }),
          q('handles', 'Comma-separated node ids or globs (`case-*`) the process serves; others come as bare offers', { type: 'string' }),
        ],
        responses: { '200': { description: 'text/event-stream' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/agent/tasks/{id}/claim': {
      post: {
        summary: 'Claim a task: take its lease (agent key)',
        parameters: [pathParam('id')],
        requestBody: { required: false, content: { 'application/json': { schema: schema(ClaimBody) } } },
        responses: { '200': { description: '{ token, leaseMs, expiresAt, task: { id, key, agent, runId, nodeId, attempt, input, envelope } }' }, ...errors(400, 401, 403, 404, 409) },
      },
    },
    '/api/v1/agent/tasks/{id}/heartbeat': {
      post: { summary: 'Extend the lease (send every leaseMs/3)', parameters: [pathParam('id')], requestBody: { required: true, content: { 'application/json': { schema: schema(HeartbeatBody) } } }, responses: { '200': { description: '{ expiresAt }' }, ...errors(400, 401, 403, 404, 409) } },
    },
    '/api/v1/agent/tasks/{id}/result': {
      post: {
        summary: "Post the task's result",
        description: 'Accepted once, with the live lease’s token; a stale token or an expired lease gets 409 `agent_task.lease_lost` and changes nothing.',
        parameters: [pathParam('id')],
        requestBody: { required: true, content: { 'application/json': { schema: schema(ResultBody) } } },
        responses: { '200': { description: '{ accepted: true }' }, ...errors(400, 401, 403, 404, 409, 413) },
      },
    },
    '/api/v1/agent/tasks/{id}/error': {
      post: { summary: "Post the task's failure: retryable (the node's retry policy applies, retryAfterMs at least) or not", parameters: [pathParam('id')], requestBody: { required: true, content: { 'application/json': { schema: schema(ErrorBody) } } }, responses: { '200': { description: '{ accepted: true }' }, ...errors(400, 401, 403, 404, 409) } },
    },
    '/api/v1/consumers/{name}/stream': {
      get: {
        summary: 'A durable consumer: events after its committed offset, then live (Server-Sent Events)',
        description: 'The consumer’s name is in the caller’s own namespace. Events are cut to the caller’s read scope. Last-Event-ID further than the offset starts after it.',
        parameters: [pathParam('name'), q('types', 'Type patterns'), q('key', 'Entity key')],
        responses: { '200': { description: 'text/event-stream' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/consumers/{name}/commit': {
      post: { summary: "Commit the consumer's offset: everything up to seq is handled", parameters: [pathParam('name')], requestBody: { required: true, content: { 'application/json': { schema: schema(CommitBody) } } }, responses: { '200': { description: '{ consumer, offset }' }, ...errors(400, 401) } },
    },
    '/api/v1/workflows': {
      get: { summary: 'Published workflows', responses: { '200': { description: '{ workflows: [{ id, slug, name, publishedVersion, triggerType }] }' }, ...errors(401) } },
      post: {
        summary: 'Create a workflow (architect): blank, from a demo template (template: its slug) or from a document; recorded as workflow.created',
        requestBody: { required: true, content: { 'application/json': { schema: schema(CreateWorkflowBody) } } },
        responses: { '201': { description: 'The workflow with its draft (draftRevision 1)' }, ...errors(400, 401, 403, 409, 413) },
      },
    },
    '/api/v1/workflows/{workflowId}': {
      get: { summary: 'A published workflow by id or stable slug (latest version, its document and version history)', parameters: [pathParam('workflowId')], responses: { '200': { description: 'Workflow' }, ...errors(401, 404) } },
    },
    '/api/v1/workflows/{workflowId}/runs': {
      post: {
        ...access({ kind: 'startRuns' }),
        summary: 'Start a run of the published version (whatever the trigger)',
        parameters: [pathParam('workflowId'), ...traceHeaders('the run')],
        requestBody: { required: true, content: { 'application/json': { schema: schema(StartRunInput) } } },
        responses: { '202': { description: '{ runId }' }, '200': { description: 'Idempotent repeat: the original runId' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/runs/{runId}': {
      get: { ...access({ kind: 'read' }), summary: 'A run: { id, workflowId, version, status (running|waiting|completed|failed|cancelled), nodes: [{ id, kind, status, attempts }], output, envelope }', parameters: [pathParam('runId')], responses: { '200': { description: 'Run' }, ...errors(401, 404) } },
    },
    '/api/v1/runs/{runId}/path/{eventId}': {
      get: {
        ...access({ kind: 'read' }),
        summary: 'The reasoning path to an event of the run (eventId: its seq or its id): every step it depends on, who did it, what it was given and produced',
        description: 'The same path as the run page shows. It holds events of every type, so a key whose read scope does not cover every type gets 403.',
        parameters: [pathParam('runId'), pathParam('eventId')],
        responses: { '200': { description: '{ runId, target, intent, startedBy, hops, targetHop, complete, links, gaps, versions, workflow }' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/runs/{runId}/events': {
      get: { summary: "The run's events in seq order", parameters: [pathParam('runId')], responses: { '200': { description: '{ events }' }, ...errors(401, 404) } },
    },
    '/api/v1/runs/{runId}/cancel': {
      post: { summary: 'Cancel a run (operator)', parameters: [pathParam('runId')], responses: { '200': { description: 'Cancelled' }, ...errors(401, 403, 404, 409) } },
    },
    '/api/v1/runs/{runId}/context': {
      post: { summary: "Patch the run's shared state mid-run (JSON merge patch; optional expectedVersion)", parameters: [pathParam('runId')], requestBody: { required: true, content: { 'application/json': { schema: schema(ContextPatchInput) } } }, responses: { '200': { description: '{ envelopeVersion, seq }' }, ...errors(400, 401, 403, 404, 409) } },
    },
    '/api/v1/runs/{runId}/nodes/{nodeId}/retry': {
      post: { summary: 'Retry a failed agent node by hand (reopens the failed run)', parameters: [pathParam('runId'), pathParam('nodeId')], responses: { '202': { description: 'Accepted' }, ...errors(401, 403, 404, 409) } },
    },
    '/api/v1/approvals': {
      get: {
        ...access({ kind: 'role', roles: ['approver', 'auditor'] }),
        summary: 'Pending approvals (due soonest first), or with status=decided the decisions made (newest first), a page at a time: follow nextCursor until it is null',
        description:
          'With `status=decided` the answer is `{ approvals: [{ seq, approvalId, decision, comment, decidedBy, source, auto, vote, decidedAt, run: { id, status, startedBy }, workflow: { id, slug, name, version }, step: { nodeId, label } }], nextCursor }`, ' +
          'one entry per vote (an approval that needs two approvals has two), filtered by `workflow`, `step`, `decision`, `decidedBy`, `runId`; `q`, `olderThan` and `assignedToMe` are for pending ones only.',
        parameters: [
          q('status', 'pending (default) or decided', { enum: ['pending', 'decided'] }),
          q('decision', 'status=decided: approve or reject', { enum: ['approve', 'reject'] }),
          q('decidedBy', 'status=decided: who decided (a name; system for a lapsed SLA)'),
          q('runId', 'status=decided: one run'), q('limit', 'cards per page (1..500, default 100)', { type: 'integer' }), q('cursor', "the previous page's nextCursor"),
          q('q', 'words to find in the intent, workflow, step, role, instructions, requester or run id'), q('workflow', 'a workflow slug'), q('step', 'a step (node id)'),
          q('olderThan', 'requested at least this long ago, e.g. 1h, 2d'), q('assignedToMe', "only those the caller's roles can decide", { enum: ['true', 'false'] }),
        ],
        responses: { '200': { description: '{ approvals, nextCursor, total, decidable, facets }' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/approvals/{approvalId}/decision': {
      post: { ...access({ kind: 'role', roles: ['approver'] }), summary: 'Approve or reject (approver); a second concurrent decision gets 409', parameters: [pathParam('approvalId')], requestBody: { required: true, content: { 'application/json': { schema: schema(ApprovalDecisionInput) } } }, responses: { '200': { description: 'Decided' }, ...errors(400, 401, 403, 404, 409) } },
    },
    '/api/v1/schemas': {
      get: { summary: 'The event-type schema registry: each type with a schema, its latest version and how many versions it has', responses: { '200': { description: '{ schemas: [{ type, version, description, registeredAt, registeredBy, versions }] }' }, ...errors(401) } },
    },
    '/api/v1/schemas/{type}': {
      get: {
        summary: "An event type's schema: the latest version, or ?version=n; with every version listed",
        parameters: [pathParam('type'), q('version', 'A schema version (1 = the first registered)', { type: 'integer', minimum: 1 })],
        responses: { '200': { description: '{ type, version, schema, description, seq, registeredAt, registeredBy, forced, breaking, versions }' }, ...errors(400, 401, 404) },
      },
      put: {
        summary: "Register a new version of an event type's JSON Schema (architect). Publishing that type is then validated against it",
        description:
          'POST /api/v1/events with a payload the schema refuses is 400 `event.schema_violation` with the JSON Pointer of the first violation (`details.path`), and nothing is appended. ' +
          'A new version that removes or retypes a field a published workflow triggered by the type reads (in any CEL condition or mapping) is refused with 409 `schema.breaking`, `details.breaking` naming each place, unless `force: true`. ' +
          'An identical schema makes no new version (200). Each version is a `schema.registered` event with the caller as its source.',
        parameters: [pathParam('type')],
        requestBody: { required: true, content: { 'application/json': { schema: schema(SchemaPut) } } },
        responses: { '201': { description: 'Registered' }, '200': { description: 'Unchanged' }, ...errors(400, 401, 403, 409) },
      },
    },
    '/api/v1/runs/{runId}/fork': {
      post: {
        summary: 'Fork a run at one of its events (operator): a new run that reuses the recorded agent outputs before it',
        description:
          'Body `{ atSeq, version?, input?, state?, liveAgents?, agentVersions?, allowSideEffects?, reuseApprovals? }`. The fork runs the same workflow (or another published `version`) with the origin\'s input (or `input`) and its starting state merged with `state`; ' +
          'each agent node whose task completed before `atSeq` is answered from the recorded output (`task.completed` with `reused: true`), no agent called, except agents named in `liveAgents` (or pinned in `agentVersions: { <agent>: <version> }`, dispatched at that registry version). ' +
          'Agents flagged with side effects are never called unless `allowSideEffects: true`: answered from the origin\'s recorded output for their node (`task.completed` with `sideEffectHeld: true`), else their task fails `side_effect_blocked` (error edges apply). ' +
          'The fork\'s `run.started` carries `fork: { from, atSeq, reuse }` and its trigger is `fork`; the origin records `run.forked`. A seq that is not the run\'s is 400 `run.fork_point_unknown`.',
        parameters: [pathParam('runId')],
        requestBody: { required: true, content: { 'application/json': { schema: schema(ForkRunInput) } } },
        responses: { '201': { description: '{ runId, forkedFrom, atSeq, reused: [nodeId] }' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/runs/{runId}/replay': {
      get: {
        summary: 'Replay a run from its log alone: do the recorded engine decisions re-decide identically?',
        description:
          'Folds the run again and re-decides every step with the recorded inputs (its start, agent results, timers, people\'s commands). ' +
          '{ runId, identical, decisions, inputs, status, mismatch? }: `mismatch` names the first recorded event replay does not reproduce (seq, type, idempotencyKey, reason, recorded, replayed).',
        parameters: [pathParam('runId')],
        responses: { '200': { description: 'Replay verdict' }, ...errors(401, 404) },
      },
    },
    '/api/v1/runs/{runId}/compare/{otherId}': {
      get: {
        summary: 'Compare two runs side by side: paths, outputs (diffed), decisions, timing, tokens, and where they diverge',
        description:
          '{ a, b, rows, divergence, inputDiff, outputDiff }. `a` and `b` summarize each run (workflow, status, duration, input, output, fork origin, path, token totals); ' +
          '`rows` has one entry per node on either path, in path order: `a` and `b` (status, output, input, decision, attempts, durationMs, tokens, reused), ' +
          '`differences` (ran, status, decision, output), `outputDiff` ([{ path, kind, before, after }]) and `divergence` on the first differing row. ' +
          '`divergence` is null when the runs agree node for node. Only the event types the caller may read are compared. An unknown run is 404 `run.not_found`.',
        parameters: [pathParam('runId'), pathParam('otherId')],
        responses: { '200': { description: 'Run comparison' }, ...errors(400, 401, 404) },
      },
    },
    '/api/v1/runs/{runId}/envelope': {
      get: {
        summary: "A run's latest context envelope, or with ?version=n the envelope as it was at version n",
        description: 'At a version, `updatedSeq` and `updatedAt` name the event that made it (`openedSeq`: the run.started), and the session history as it was then. A version the run never had is 404 `envelope.version_not_found`; a version that is not a positive integer is 400.',
        parameters: [pathParam('runId'), q('version', 'An envelope version (1 = as the run started)', { type: 'integer', minimum: 1 })],
        responses: { '200': { description: 'Envelope' }, ...errors(400, 401, 404) },
      },
    },
    '/api/v1/audit/export': {
      get: {
        summary: 'Export a run or a range with its hash chain and signed checkpoints',
        description:
          'Streams a download: a header, the events with prevHash/hash, signed checkpoints of the chain head (Ed25519), anchors, and a signed trailer ' +
          '(SHA-256 of every byte before it and the server\'s verification summary). Check it offline with `npx spine-verify <file> --pubkey <key.pem>`. ' +
          'Give runId, or a seq range (from, to), or a time range (since, until); without any, the whole log. Needs the auditor role.',
        parameters: [
          q('runId', 'Export the events of this run'),
          q('from', 'First seq', { type: 'integer', minimum: 1 }),
          q('to', 'Last seq', { type: 'integer', minimum: 1 }),
          q('since', 'First commit time (ISO 8601)', { type: 'string', format: 'date-time' }),
          q('until', 'Last commit time (ISO 8601)', { type: 'string', format: 'date-time' }),
          q('format', 'jsonl (default) or csv', { enum: ['jsonl', 'csv'] }),
        ],
        responses: {
          '200': { description: 'The export', content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } } },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/api/v1/audit/public-key': {
      get: {
        summary: 'The public key that signs checkpoints and exports',
        description: 'Ed25519, PEM (SubjectPublicKeyInfo). The key id (first 16 hex digits of the SHA-256 of the DER key) is in the X-Spine-Key-Id header.',
        responses: { '200': { description: 'PEM', content: { 'application/x-pem-file': { schema: { type: 'string' } } } } },
      },
    },
    '/api/v1/audit/verify': {
      get: {
        ...access({ kind: 'role', roles: ['auditor'] }),
        summary: 'Verify integrity: the hash chain and the signed checkpoints',
        description:
          'Recomputes the hash chain over the range and checks the signed checkpoints against it: those in the range, those beyond the head, the latest one, and the one that ' +
          'vouches for the range (the nearest checkpoint at or after its end; the chain is recomputed up to it, so its signed hash covers every event of the range). ' +
          'A chain rewritten with every hash recomputed, or a tail cut off with the head fixed, answers ok: false with the first bad seq and the problems. ' +
          'Events after the latest checkpoint are checked by the chain only (unvouched). Needs the auditor role.',
        parameters: [q('from', 'First seq (default 1)', { type: 'integer', minimum: 1 }), q('to', 'Last seq (default the head)', { type: 'integer', minimum: 1 })],
        responses: {
          '200': {
            description: 'Verdict',
            content: {
              'application/json': {
                schema: (() => {
                  const seq = { type: 'integer', minimum: 1 };
                  const checkpoint = {
                    type: 'object',
                    required: ['number', 'seq', 'keyId', 'signedAt', 'hash', 'reason'],
                    properties: {
                      number: { type: 'integer', description: "Its place among this installation's checkpoints (1 = the first signed)" },
                      seq: { ...seq, description: 'The seq whose hash was signed' },
                      keyId: { type: 'string', description: 'The signing key (see /api/v1/audit/public-key)' },
                      signedAt: { type: 'string', format: 'date-time' },
                      hash: { type: 'string', description: 'The chain hash at seq, as signed' },
                      reason: { enum: ['interval', 'export', 'manual'] },
                    },
                  };
                  const finding = {
                    type: 'object',
                    required: ['seq', 'signedAt', 'keyId', 'signedHash', 'storedHash'],
                    properties: { seq, signedAt: { type: 'string', format: 'date-time' }, keyId: { type: 'string' }, signedHash: { type: 'string' }, storedHash: { type: ['string', 'null'], description: 'null: the row is gone' } },
                  };
                  const findings = (description: string) => ({ type: 'array', description, items: finding });
                  return {
                    title: 'AuditVerifyResult',
                    type: 'object',
                    required: ['ok', 'fromSeq', 'toSeq', 'head', 'checked', 'firstBadSeq', 'reason', 'problems', 'vouchedBy', 'unvouched', 'checkpoints'],
                    properties: {
                      ok: { type: 'boolean', description: 'The chain verifies and no checked checkpoint disagrees with it' },
                      fromSeq: seq,
                      toSeq: { type: 'integer', minimum: 0 },
                      head: { type: 'integer', minimum: 0, description: 'The last seq of the log now' },
                      checked: { type: 'integer', description: 'Events whose hashes were recomputed (the range, and on to the vouching checkpoint)' },
                      firstBadSeq: { type: ['integer', 'null'], description: 'The lowest seq at which something is wrong; for a rewrite, the first seq no checkpoint vouches for any more' },
                      reason: { enum: ['hash_mismatch', 'broken_link', 'seq_gap', 'head_mismatch', null], description: 'The hash chain’s own finding, when the chain breaks' },
                      problems: { type: 'array', items: { type: 'string' }, description: 'What is wrong, for people, first finding first' },
                      vouchedBy: { oneOf: [checkpoint, { type: 'null' }], description: 'The signed checkpoint whose hash covers the whole range (null when none does, or when the verdict is not ok)' },
                      unvouched: {
                        oneOf: [{ type: 'object', required: ['fromSeq', 'toSeq'], properties: { fromSeq: seq, toSeq: seq } }, { type: 'null' }],
                        description: 'The part of the range after the latest signed checkpoint: checked by the chain only',
                      },
                      checkpoints: {
                        type: 'object',
                        required: ['checked', 'matching', 'mismatched', 'beyondHead', 'unverified', 'latest'],
                        properties: {
                          checked: { type: 'integer' },
                          matching: { type: 'integer' },
                          mismatched: findings('The seq no longer has the signed hash, or is gone: the chain was rewritten or rows deleted'),
                          beyondHead: findings('Signed for a seq the log no longer reaches: its tail was cut off'),
                          unverified: findings("Not signed by this installation's key"),
                          latest: { oneOf: [checkpoint, { type: 'null' }], description: 'The latest checkpoint signed by this key' },
                        },
                      },
                    },
                  };
                })(),
              },
            },
          },
          ...errors(400, 401, 403),
        },
      },
    },
  },
  components: { schemas: { Error, SpineEvent, EventInput: schema(EventInput), ...agentSchemas }, 'x-reserved-event-namespaces': RESERVED_EVENT_NAMESPACES },
};

export async function openApiHandler(): Promise<Response> {
  return json(openApiDocument);
}
