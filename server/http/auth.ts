/**
 * Who is calling and whether they may: the single place where every `/api/v1` route authenticates and
 * authorizes. A request carries a session cookie (browser) or `Authorization: Bearer <key>` (agents,
 * automation); without one it gets 401. State-changing requests authenticated by cookie must come from
 * this origin (CSRF). Roles decide for people; for API keys their scopes decide (which event types they
 * may publish and read, whether they may start runs) plus the roles the key carries.
 */
import { ForbiddenError, UnauthenticatedError } from '@/server/errors';
import { hasRole, SYSTEM_ACTOR, type Actor, type Role } from '@/server/auth/roles';
import { matchesType } from '@/server/spine/events';
import type { ApiRequest } from './body';
import type { HttpServices } from './services';

export type { Actor } from '@/server/auth/roles';

export type Need =
  /** Any signed-in person or key. */
  | { kind: 'read' }
  /** A person with one of these roles (or a key carrying one). */
  | { kind: 'role'; roles: Role[] }
  /** Starting runs: operators, or keys with `startRuns`. */
  | { kind: 'startRuns' }
  /** Publishing an event of this type: operators, or keys whose `publish` scope matches it. */
  | { kind: 'publish'; type: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export { isSameOrigin } from '@/server/auth';
import { isSameOrigin } from '@/server/auth';

export async function authorize(req: ApiRequest, services: HttpServices, need: Need): Promise<Actor> {
  if (!services.auth) return SYSTEM_ACTOR;
  const actor = await services.auth.authenticate(req);
  if (!actor) throw new UnauthenticatedError('auth.required', 'Sign in, or send Authorization: Bearer <api key>');
  const byCookie = !req.headers.get('authorization');
  if (byCookie && !SAFE_METHODS.has(req.method) && !isSameOrigin(req))
    throw new ForbiddenError('auth.csrf', 'Cross-site request refused: state-changing requests must come from this origin');
  if (!permits(actor, need)) throw new ForbiddenError('auth.forbidden', describe(need));
  return actor;
}

export function permits(actor: Actor, need: Need): boolean {
  switch (need.kind) {
    case 'read':
      return true;
    case 'role':
      return need.roles.some((r) => hasRole(actor, r));
    case 'startRuns':
      return hasRole(actor, 'operator') || actor.scopes?.startRuns === true;
    case 'publish':
      return actor.kind === 'apiKey' ? (actor.scopes?.publish ?? []).some((p) => matchesType(p, need.type)) || hasRole(actor, 'admin') : hasRole(actor, 'operator');
  }
}

function describe(need: Need): string {
  switch (need.kind) {
    case 'read':
      return 'Not allowed';
    case 'role':
      return `This needs the role ${need.roles.join(' or ')}`;
    case 'startRuns':
      return 'Starting runs needs the operator role or a key allowed to start runs';
    case 'publish':
      return `Publishing '${need.type}' needs the operator role or a key whose publish scope covers it`;
  }
}

/** For keys with a restricted subscribe scope: the type patterns a read may use. */
export function readableTypes(actor: Actor, requested: string[] | undefined): string[] | undefined {
  const scope = actor.kind === 'apiKey' ? (actor.scopes?.subscribe ?? []) : ['*'];
  if (scope.includes('*') || hasRole(actor, 'admin')) return requested;
  if (!requested || requested.length === 0) {
    if (scope.length === 0) throw new ForbiddenError('auth.forbidden', 'This key may not read events');
    return scope;
  }
  for (const t of requested) {
    const covered = scope.some((s) => s === t || (s.endsWith('.*') && t.startsWith(s.slice(0, -1))) || (!t.includes('*') && matchesType(s, t)));
    if (!covered) throw new ForbiddenError('auth.forbidden', `This key may not read '${t}'`);
  }
  return requested;
}

/**
 * The same scope as a test on one event type, for routes that return events (or event summaries, like an
 * envelope's history) found by something other than their type: a run's events, an envelope. A key that
 * may read nothing gets a test that refuses every type.
 */
export function readableType(actor: Actor): (type: string) => boolean {
  const scope = actor.kind === 'apiKey' ? (actor.scopes?.subscribe ?? []) : ['*'];
  if (scope.includes('*') || hasRole(actor, 'admin')) return () => true;
  return (type) => scope.some((p) => matchesType(p, type));
}

/** Whether the actor may read every event type (an export holds every event of its range, whatever its type). */
export function readsEveryType(actor: Actor): boolean {
  const scope = actor.kind === 'apiKey' ? (actor.scopes?.subscribe ?? []) : ['*'];
  return scope.includes('*') || hasRole(actor, 'admin');
}
