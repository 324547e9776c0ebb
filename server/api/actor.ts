/**
 * Who is calling: the actor every tRPC procedure sees as `ctx.actor`, and the closed set of roles that
 * `roleProcedure(role)` checks. Authentication arrives in a later issue; until then every request is the
 * local operator (see the marked place in server/api/trpc.ts `createContext`).
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Actor = {
  kind: 'user' | 'agent' | 'system';
  /** Stable name used in audit records and event sources. */
  name: string;
  roles: readonly Role[];
};

/** The actor of an unauthenticated local install: may do everything. */
export const LOCAL_OPERATOR: Actor = { kind: 'user', name: 'local', roles: ROLES };

export function hasRole(actor: Actor, role: Role): boolean {
  return actor.roles.includes(role);
}
