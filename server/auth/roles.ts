/**
 * Who may do what. Five roles; a user may hold several:
 * - admin: users, API keys, settings (and everything else);
 * - architect: edit and publish workflows;
 * - operator: start, cancel and retry runs;
 * - approver: decide approvals;
 * - auditor: read the timeline, runs, audit and exports; change nothing.
 * Everyone signed in may read. Isomorphic (the UI hides what a role may not do).
 */
export const ROLES = ['admin', 'architect', 'operator', 'approver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** What an API key may do, besides the roles it carries. */
export type KeyScopes = {
  /** Event type patterns the key may publish. */
  publish: string[];
  /** Event type patterns the key may read and subscribe to. */
  subscribe: string[];
  /** Whether the key may start runs. */
  startRuns: boolean;
  roles: Role[];
};

export type Actor = {
  kind: 'user' | 'apiKey' | 'system';
  id: string;
  /** Stable name used in audit records and event sources. */
  name: string;
  roles: readonly Role[];
  /** Present for API keys. */
  scopes?: KeyScopes;
};

export function hasRole(actor: Actor | null | undefined, role: Role): boolean {
  return !!actor && (actor.roles.includes(role) || actor.roles.includes('admin'));
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system', name: 'system', roles: ['admin'] };
