/**
 * Spine's MCP tools, each one API v1 operation: the tool names the operation (method and OpenAPI path),
 * the access it needs (as the OpenAPI document's `x-spine-access` says; toolsAgree.test.ts holds the two
 * together) and a zod input schema. A call is served by that operation's own handler (server.ts), so the
 * tool validates, authorizes and answers exactly as the endpoint does: no rule is written twice.
 *
 * The input schemas describe the arguments for the model or assistant; the handler still parses what it
 * is given (a bad value comes back as the endpoint's 400, as an `isError` result).
 */
import { z } from 'zod';
import { EventInput } from '@/server/spine/events';
import { ApprovalDecisionInput, StartRunInput } from '@/server/engine';
import type { OperationAccess } from '@/server/http';

export const MCP_TOOL_NAMES = ['publish_event', 'start_run', 'get_run', 'list_runs', 'list_approvals', 'decide_approval', 'get_reasoning_path', 'verify_audit'] as const;
export type McpToolName = (typeof MCP_TOOL_NAMES)[number];

/** An API v1 operation: `GET /api/v1/runs/{runId}`. */
export type Operation = { method: 'GET' | 'POST'; path: `/api/v1/${string}` };

export type McpTool = {
  name: McpToolName;
  title: string;
  description: string;
  operation: Operation;
  access: OperationAccess;
  input: z.ZodObject;
  /** Reads change nothing; `idempotent`: the same call twice has the effect of one. */
  annotations: { readOnlyHint: boolean; destructiveHint?: boolean; idempotentHint?: boolean };
};

const Id = (what: string) => z.string().min(1).max(128).describe(what);
const Seq = (what: string) => z.number().int().min(1).describe(what);

const READ = { readOnlyHint: true } as const;

export const MCP_TOOLS: readonly McpTool[] = [
  {
    name: 'publish_event',
    title: 'Publish an event',
    description:
      'Append one event to the Spine log. The source is you (the API key), whatever the arguments say. With an idempotencyKey seen before, ' +
      'the original seq and id come back and nothing is appended. Needs a key whose publish scope covers the type (or the operator role).',
    operation: { method: 'POST', path: '/api/v1/events' },
    access: { kind: 'publish' },
    input: EventInput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  },
  {
    name: 'start_run',
    title: 'Start a run',
    description: 'Start a run of the published version of a workflow (by id or slug). Answers { runId }. Needs the operator role or a key allowed to start runs.',
    operation: { method: 'POST', path: '/api/v1/workflows/{workflowId}/runs' },
    access: { kind: 'startRuns' },
    input: StartRunInput.extend({ workflowId: Id('A workflow id or slug') }).strict(),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  },
  {
    name: 'get_run',
    title: 'Read a run',
    description: 'A run: its status (running, waiting, completed, failed, cancelled), each node with its status and attempts, its output and its context envelope.',
    operation: { method: 'GET', path: '/api/v1/runs/{runId}' },
    access: { kind: 'read' },
    input: z.object({ runId: Id('The run id') }).strict(),
    annotations: READ,
  },
  {
    name: 'list_runs',
    title: 'List runs',
    description: 'Runs, newest first, a page at a time (pass nextCursor back as cursor). Filters combine.',
    operation: { method: 'GET', path: '/api/v1/runs' },
    access: { kind: 'read' },
    input: z
      .object({
        workflow: z.string().min(1).max(128).optional().describe('A workflow id or slug'),
        status: z.string().max(200).optional().describe('One status or several, comma-separated: running, waiting, completed, failed, cancelled'),
        key: z.string().min(1).max(256).optional().describe('The entity key the runs were started for, e.g. case:7'),
        startedAfter: z.string().max(64).optional().describe('Started at or after this instant (ISO 8601 with its zone)'),
        startedBefore: z.string().max(64).optional().describe('Started before this instant (ISO 8601 with its zone)'),
        limit: z.number().int().min(1).max(200).optional().describe('Runs per page, 1..200 (default 50)'),
        cursor: z.string().min(1).max(200).optional().describe("The previous page's nextCursor"),
      })
      .strict(),
    annotations: READ,
  },
  {
    name: 'list_approvals',
    title: 'List approvals',
    description: 'Pending approvals, due soonest first; with status "decided" the decisions made, newest first. A page at a time (nextCursor). Needs the approver or auditor role.',
    operation: { method: 'GET', path: '/api/v1/approvals' },
    access: { kind: 'role', roles: ['approver', 'auditor'] },
    input: z
      .object({
        status: z.enum(['pending', 'decided']).optional().describe('pending (default) or decided'),
        limit: z.number().int().min(1).max(500).optional(),
        cursor: z.string().min(1).max(600).optional().describe("The previous page's nextCursor"),
        q: z.string().max(200).optional().describe('Pending: words to find in the intent, workflow, step, role, instructions, requester or run id'),
        workflow: z.string().min(1).max(128).optional().describe('A workflow slug'),
        step: z.string().min(1).max(128).optional().describe('A step (node id)'),
        olderThan: z.string().min(1).max(64).optional().describe('Pending: requested at least this long ago, e.g. 1h, 2d'),
        assignedToMe: z.boolean().optional().describe("Pending: only those the caller's roles can decide"),
        decision: z.enum(['approve', 'reject']).optional().describe('Decided: approve or reject'),
        decidedBy: z.string().min(1).max(200).optional().describe('Decided: who decided'),
        runId: z.string().min(1).max(128).optional().describe('Decided: one run'),
      })
      .strict(),
    annotations: READ,
  },
  {
    name: 'decide_approval',
    title: 'Decide an approval',
    description: 'Approve or reject a pending approval, recorded as approval.decided with you as the decider; a second concurrent decision is refused. Needs the approver role.',
    operation: { method: 'POST', path: '/api/v1/approvals/{approvalId}/decision' },
    access: { kind: 'role', roles: ['approver'] },
    input: ApprovalDecisionInput.extend({ approvalId: z.string().min(1).max(300).describe('The approval id (list_approvals)') }).strict(),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  },
  {
    name: 'get_reasoning_path',
    title: 'Reasoning path of an event',
    description:
      'Why an event of a run happened: every step it depends on, from the intent and the trigger to the event, each with who did it (agent, person, engine), ' +
      'what it was given and what it produced. A key must be able to read every event type.',
    operation: { method: 'GET', path: '/api/v1/runs/{runId}/path/{eventId}' },
    access: { kind: 'read' },
    input: z.object({ runId: Id('The run id'), eventId: Id("The event's seq or its id") }).strict(),
    annotations: READ,
  },
  {
    name: 'verify_audit',
    title: 'Verify the audit log',
    description:
      'Recompute the hash chain over a seq range (default: the whole log) and check the signed checkpoints against it. ok: false names the first bad seq and the problems. Needs the auditor role.',
    operation: { method: 'GET', path: '/api/v1/audit/verify' },
    access: { kind: 'role', roles: ['auditor'] },
    input: z.object({ from: Seq('First seq (default 1)').optional(), to: Seq('Last seq (default the head)').optional() }).strict(),
    annotations: READ,
  },
];

/**
 * The request a tool call makes of its operation: path parameters filled from the arguments of the same
 * name, the rest as the query (GET; arrays comma-joined) or as the JSON body (POST).
 */
export function requestOf(op: Operation, args: Record<string, unknown>): { path: string; params: Record<string, string>; query: URLSearchParams; body?: Record<string, unknown> } {
  const params: Record<string, string> = {};
  const rest: Record<string, unknown> = { ...args };
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = String(rest[name] ?? '');
    delete rest[name];
    params[name] = encodeURIComponent(v);
    return encodeURIComponent(v);
  });
  const query = new URLSearchParams();
  if (op.method === 'POST') return { path, params, query, body: rest };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined && v !== null) query.set(k, Array.isArray(v) ? v.join(',') : String(v));
  return { path, params, query };
}
