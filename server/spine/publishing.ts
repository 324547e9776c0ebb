/**
 * The trust boundary of the log: what a client may publish, and under whose name. Every public entry
 * (API v1 JSON and CloudEvents, tRPC, and any protocol added later) publishes through `publishAs`, so:
 *
 * - the engine's own event types are reserved: only the server's code paths append them (the engine,
 *   the approval and context endpoints, the workflow library, accounts, audit). A client that publishes
 *   one is refused with 403 and told which endpoint does what it meant, and nothing is appended;
 * - the source is the authenticated principal. A body may repeat it; a body that names another source is
 *   refused (400), never stored: the log records who wrote an event, not who a client says wrote it;
 * - idempotency keys live in the principal's own namespace, so a client can neither pre-claim a key the
 *   engine will use (and so suppress one of its events) nor collide with another client's key.
 *
 * Isomorphic except for the append itself (type-only imports), so the namespaces can be listed in the UI.
 */
import { ForbiddenError, ValidationError } from '@/server/errors';
import type { AppendResult } from './log/sequencer';
import type { EventInput, SourceKind } from './events';

/**
 * Namespaces only Spine appends, with what to use instead. `context.patched` is reserved on its own: other
 * `context.*` types are free.
 */
export const RESERVED_EVENT_NAMESPACES = {
  run: 'start runs with POST /api/v1/workflows/{workflowId}/runs; cancel with POST /api/v1/runs/{runId}/cancel',
  task: 'agents return results to the task they were dispatched; the engine records them',
  node: 'node events are decided by the engine; retry a failed node with POST /api/v1/runs/{runId}/nodes/{nodeId}/retry',
  join: 'joins are decided by the engine',
  fanout: 'fan-outs are decided by the engine',
  route: 'routes are chosen by the engine',
  approval: 'decide approvals with POST /api/v1/approvals/{approvalId}/decision',
  timer: 'timers are scheduled and fired by the engine',
  trigger: 'triggers are recorded by the engine',
  workflow: 'change workflows in the designer or through the workflows API',
  agent: 'register, change and remove agents on /agents or with /api/v1/agents',
  user: 'manage people in Settings (admin)',
  apikey: 'manage API keys in Settings (admin)',
  auth: 'sign-ins are recorded by Spine when people sign in',
  audit: 'audit checkpoints are signed by Spine; see /audit',
  schema: 'register event schemas with PUT /api/v1/schemas/{type} or on /schemas',
  evaluation: 'evaluate an agent version with POST /api/v1/workflows/{workflowId}/evaluations or from /agents',
  'context.patched': 'patch a run\'s context with POST /api/v1/runs/{runId}/context',
} as const;

/** The reserved namespace an event type falls in, or null when clients may publish it. */
export function reservedNamespaceOf(type: string): keyof typeof RESERVED_EVENT_NAMESPACES | null {
  if (type === 'context.patched') return 'context.patched';
  const first = type.split('.')[0]!;
  return first !== 'context' && Object.hasOwn(RESERVED_EVENT_NAMESPACES, first) ? (first as keyof typeof RESERVED_EVENT_NAMESPACES) : null;
}

/** Who is publishing, as authenticated by the transport. */
export type Principal = { kind: 'user' | 'apiKey' | 'system'; name: string };

/** The source the log records for what a principal appends. */
export function sourceOf(p: Principal): { kind: Principal['kind'] & SourceKind; name: string } {
  return { kind: p.kind, name: p.name.slice(0, 128) };
}

/** The stored form of a client's idempotency key: scoped to the principal that sent it. */
export function clientIdempotencyKey(p: Principal, key: string): string {
  return `client:${p.kind}:${p.name}:${key}`.slice(0, 256);
}

/** Checks a client's event against the boundary and returns what may be appended in its name. */
export function asPrincipal(p: Principal, input: EventInput): EventInput {
  const ns = reservedNamespaceOf(input.type);
  if (ns) {
    throw new ForbiddenError('event.reserved_type', `'${input.type}' is reserved: only Spine appends ${ns === 'context.patched' ? ns : `${ns}.*`} events. To do this, ${RESERVED_EVENT_NAMESPACES[ns]}.`, {
      type: input.type,
      namespace: ns,
    });
  }
  const source = sourceOf(p);
  if (input.source && (input.source.kind !== source.kind || input.source.name !== source.name)) {
    throw new ValidationError('event.source_not_allowed', `source is set by the server from who is calling (${source.kind} '${source.name}'); this request may not publish as ${input.source.kind} '${input.source.name}'. Omit source.`, {
      claimed: input.source,
      principal: source,
    });
  }
  return { ...input, source, ...(input.idempotencyKey !== undefined && { idempotencyKey: clientIdempotencyKey(p, input.idempotencyKey) }) };
}

/**
 * Publishes a client's event under the principal's name. `opts.id`: the event's id, chosen by the server in
 * advance (`newEventId()`), when something must be keyed by it before the append (a trigger's trace context).
 * @example await publishAs(spine, { kind: 'user', name: 'ann@example.com' }, { type: 'case.opened', payload })
 */
export function publishAs(spine: { publish(e: EventInput & { id?: string }): Promise<AppendResult> }, p: Principal, input: EventInput, opts: { id?: string } = {}): Promise<AppendResult> {
  return spine.publish({ ...asPrincipal(p, input), ...(opts.id !== undefined && { id: opts.id }) });
}
