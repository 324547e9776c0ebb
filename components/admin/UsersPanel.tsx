'use client';
/**
 * People: who exists, their roles (edit and save per person), and whether they may sign in. An admin
 * cannot disable themselves or drop their own admin role (the server refuses both; here the controls say so).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge, Button, ErrorNote, Skeleton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { PublicUser } from '@/server/auth';
import type { Role } from '@/server/auth/roles';
import { RolePicker } from './RolePicker';

export function UsersPanel({ selfId }: { selfId: string }) {
  const trpc = useTRPC();
  const users = useQuery(trpc.admin.users.list.queryOptions());
  if (users.isPending) return <Skeleton className="h-24 w-full" />;
  if (users.isError) return <ErrorNote error={users.error} context="Could not load people" />;
  return (
    <ul data-testid="users-list" aria-label="Users" className="divide-y divide-zinc-100 dark:divide-zinc-800">
      {users.data.map((u) => (
        <UserRow key={u.id} user={u} self={u.id === selfId} />
      ))}
    </ul>
  );
}

function same(a: readonly Role[], b: readonly Role[]) {
  return a.length === b.length && a.every((r) => b.includes(r));
}

function UserRow({ user, self }: { user: PublicUser; self: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [roles, setRoles] = useState<Role[]>(user.roles);
  const refresh = () => queryClient.invalidateQueries(trpc.admin.users.list.queryFilter());
  const saveRoles = useMutation(trpc.admin.users.setRoles.mutationOptions({ onSuccess: (u) => { setRoles(u.roles); return refresh(); } }));
  const setDisabled = useMutation(trpc.admin.users.setDisabled.mutationOptions({ onSuccess: refresh }));
  const error = saveRoles.error ?? setDisabled.error;
  const changed = !same(roles, user.roles);

  return (
    <li data-testid="user-row" data-email={user.email} className="grid gap-3 py-3 sm:grid-cols-[minmax(0,14rem)_1fr_auto] sm:items-center">
      <div className="min-w-0">
        <p className="truncate text-sm font-medium">
          {user.name} {self && <span className="font-normal text-zinc-500 dark:text-zinc-400">(you)</span>}
        </p>
        <p className="truncate text-xs text-zinc-500 dark:text-zinc-400">{user.email}</p>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <RolePicker compact legend={`Roles of ${user.email}`} value={roles} onChange={setRoles} disabled={user.disabled} />
        {changed && (
          <Button size="sm" variant="primary" disabled={saveRoles.isPending} onClick={() => saveRoles.mutate({ userId: user.id, roles })}>
            Save roles
          </Button>
        )}
      </div>
      <div className="flex items-center gap-2 sm:justify-end">
        {user.disabled ? <Badge tone="danger">disabled</Badge> : <Badge tone="success">active</Badge>}
        <Button
          size="sm"
          disabled={self || setDisabled.isPending}
          title={self ? 'You cannot disable yourself' : undefined}
          onClick={() => setDisabled.mutate({ userId: user.id, disabled: !user.disabled })}
        >
          {user.disabled ? 'Enable' : 'Disable'}
        </Button>
      </div>
      {error && (
        <div className="sm:col-span-3">
          <ErrorNote error={error} />
        </div>
      )}
    </li>
  );
}
