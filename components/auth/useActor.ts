'use client';
/**
 * Who is signed in, for hiding and disabling what a role may not do. The server decides regardless (every
 * procedure and route authorizes); this only keeps the UI honest about it.
 *
 * @example const { can } = useActor(); <Button disabled={!can('operator')}>Start run</Button>
 */
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { rolesAllow, type Role } from '@/server/auth/roles';
import type { Me } from '@/server/api';

export type ActorState = {
  /** undefined while loading; null when nobody is signed in. */
  actor: Me | null | undefined;
  status: 'loading' | 'signedIn' | 'signedOut';
  /** Whether the actor holds `role` (admins hold every role). False while loading. */
  can(role: Role): boolean;
};

export function useActor(): ActorState {
  const trpc = useTRPC();
  const me = useQuery(trpc.session.me.queryOptions(undefined, { staleTime: 60_000 }));
  const actor = me.data;
  return {
    actor,
    status: actor === undefined ? 'loading' : actor === null ? 'signedOut' : 'signedIn',
    can: (role) => rolesAllow(actor?.roles, role),
  };
}
