'use client';
/**
 * The signed-in person in the top bar: name and roles, a link to their settings, and sign out. Signed
 * out, a link to sign in.
 */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState } from 'react';
import { Badge, Button, Skeleton } from '@/components/ui';
import { isPublicPath, signInHref } from './signInPath';
import { signOut } from './signOut';
import { useActor } from './useActor';

export function UserMenu() {
  const { actor, status } = useActor();
  const pathname = usePathname();
  const [leaving, setLeaving] = useState(false);

  // The sign-in page is where identity is being chosen: show none there.
  if (isPublicPath(pathname)) return null;
  if (status === 'loading') return <Skeleton className="h-5 w-28" />;
  if (!actor) {
    return (
      <Link href={signInHref(pathname)} className="text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400">
        Sign in
      </Link>
    );
  }
  return (
    <div data-testid="user-menu" className="flex min-w-0 items-center gap-2">
      <Link href="/settings" className="flex min-w-0 flex-col items-end leading-tight" title={actor.email ?? actor.name}>
        <span data-testid="user-name" className="max-w-16 truncate text-sm font-medium sm:max-w-40">
          {actor.displayName}
        </span>
        <span data-testid="user-roles" className="hidden gap-1 sm:flex">
          {actor.roles.length === 0 ? (
            <span className="text-[11px] text-zinc-500 dark:text-zinc-400">no roles</span>
          ) : (
            actor.roles.map((r) => (
              <Badge key={r} className="px-1 py-0 text-[10px]">
                {r}
              </Badge>
            ))
          )}
        </span>
      </Link>
      {actor.kind === 'user' && (
        <Button
          size="sm"
          variant="ghost"
          disabled={leaving}
          onClick={() => {
            setLeaving(true);
            void signOut();
          }}
        >
          Sign out
        </Button>
      )}
    </div>
  );
}
