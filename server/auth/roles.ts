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

/** The roles as people read them (the admin pages and the role picker). */
export const ROLE_INFO = [
  { role: 'admin', label: 'Admin', description: 'People, API keys and settings; may do everything' },
  { role: 'architect', label: 'Architect', description: 'Edit and publish workflows' },
  { role: 'operator', label: 'Operator', description: 'Start, cancel and retry runs' },
  { role: 'approver', label: 'Approver', description: 'Decide approvals' },
  { role: 'auditor', label: 'Auditor', description: 'Read the timeline, runs, audit and exports; change nothing' },
] as const satisfies readonly { role: Role; label: string; description: string }[];

/** What an API key may do, besides the roles it carries. */
export type KeyScopes = {
  /** Event type patterns the key may publish. */
  publish: string[];
  /** Event type patterns the key may read and subscribe to. */
  subscribe: string[];
  /** Whether the key may start runs. */
  startRuns: boolean;
  roles: Role[];
  /**
   * An agent key: bound to this one agent. It may receive only this agent's tasks and post only their
   * results (server/http/v1/agentTasks.ts); `publish` lists the event types it declares.
   */
  agent?: string;
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

/** The one rule: these roles allow `role` if they hold it, or hold admin. */
export function rolesAllow(roles: readonly string[] | null | undefined, role: string): boolean {
  return !!roles && (roles.includes(role) || roles.includes('admin'));
}

export function hasRole(actor: Actor | null | undefined, role: Role): boolean {
  return rolesAllow(actor?.roles, role);
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system', name: 'system', roles: ['admin'] };
