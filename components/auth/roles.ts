/**
 * Roles as the UI shows them. The rules are server/auth/roles.ts (`hasRole`: the role, or admin); that
 * module is not among the browser-safe leaves, so its one-line check and the list are mirrored here, and the
 * compiler fails if a role is added there and not here.
 */
import type { Role } from '@/server/auth/roles';

export const ROLE_INFO = [
  { role: 'admin', label: 'Admin', description: 'People, API keys and settings; may do everything' },
  { role: 'architect', label: 'Architect', description: 'Edit and publish workflows' },
  { role: 'operator', label: 'Operator', description: 'Start, cancel and retry runs' },
  { role: 'approver', label: 'Approver', description: 'Decide approvals' },
  { role: 'auditor', label: 'Auditor', description: 'Read the timeline, runs, audit and exports; change nothing' },
] as const satisfies readonly { role: Role; label: string; description: string }[];

type Listed = (typeof ROLE_INFO)[number]['role'];
/** Compile-time check: every server role is listed. */
export const EVERY_ROLE_LISTED: [Exclude<Role, Listed>] extends [never] ? true : never = true;

export const ROLE_LIST: readonly Role[] = ROLE_INFO.map((r) => r.role);

/** Same rule as the server's `hasRole`: the role itself, or admin. */
export function holds(roles: readonly Role[] | null | undefined, role: Role): boolean {
  return !!roles && (roles.includes(role) || roles.includes('admin'));
}
