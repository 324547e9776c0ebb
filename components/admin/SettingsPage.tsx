'use client';
/**
 * `/settings`: one's own account (roles, password) for everyone signed in; people and API keys for
 * admins only. The admin sections are not rendered for others, and their procedures refuse them anyway.
 */
import { ChangePasswordForm } from '@/components/auth/ChangePasswordForm';
import { useActor } from '@/components/auth/useActor';
import { Badge, Card, CardContent, CardDescription, CardHeader, CardTitle, Skeleton } from '@/components/ui';
import { ApiKeysPanel } from './ApiKeysPanel';
import { CreateKeyForm } from './CreateKeyForm';
import { CreateUserForm } from './CreateUserForm';
import { UsersPanel } from './UsersPanel';

export function SettingsPage() {
  const { actor, can, status } = useActor();
  if (status === 'loading' || !actor) return <Skeleton className="h-40 w-full rounded-xl" />;
  return (
    <div className="space-y-6">
      <Card aria-labelledby="account-title">
        <CardHeader>
          <div>
            <CardTitle id="account-title">Your account</CardTitle>
            <CardDescription>
              {actor.displayName}
              {actor.email ? ` · ${actor.email}` : ''}
            </CardDescription>
          </div>
          <div data-testid="account-roles" className="ml-auto flex flex-wrap gap-1">
            {actor.roles.length ? actor.roles.map((r) => <Badge key={r}>{r}</Badge>) : <Badge>no roles</Badge>}
          </div>
        </CardHeader>
        <CardContent>
          {actor.kind === 'user' ? (
            <ChangePasswordForm />
          ) : (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">You are acting as {actor.name}, which has no password. Sign in as a person to change one.</p>
          )}
        </CardContent>
      </Card>

      {can('admin') && (
        <>
          <Card aria-labelledby="users-title" data-testid="admin-users">
            <CardHeader>
              <div>
                <CardTitle id="users-title">Users</CardTitle>
                <CardDescription>People who can sign in, and what each may do. Every change is recorded on the spine.</CardDescription>
              </div>
            </CardHeader>
            <CardContent className="space-y-6">
              <CreateUserForm />
              <UsersPanel selfId={actor.id} />
            </CardContent>
          </Card>
          <Card aria-labelledby="keys-title" data-testid="admin-keys">
            <CardHeader>
              <div>
                <CardTitle id="keys-title">API keys</CardTitle>
                <CardDescription>For agents and automation: sent as Authorization: Bearer, stored only as a hash.</CardDescription>
              </div>
            </CardHeader>
            <CardContent className="space-y-6">
              <CreateKeyForm />
              <ApiKeysPanel />
            </CardContent>
          </Card>
        </>
      )}
    </div>
  );
}
