/**
 * Who is calling: the actor every tRPC procedure sees as `ctx.actor`, and the closed set of roles that
 * `roleProcedure(role)` checks. Both come from server/auth (the same rules as the HTTP API).
 */
export { ROLES, hasRole, type Actor, type Role } from '@/server/auth/roles';
import type { Actor } from '@/server/auth/roles';

/** An admin actor for tests and scripts that call routers directly (createContextInner). */
export const LOCAL_OPERATOR: Actor = { kind: 'system', id: 'local', name: 'local', roles: ['admin'] };
