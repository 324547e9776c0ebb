'use client';
import type { QueryClient } from '@tanstack/react-query';
import { SIGN_IN_PATH } from './signInPath';

/** Ends the session (the server deletes it and clears the cookie), forgets cached data, goes to sign-in. */
export async function signOut(queryClient: QueryClient, go: (href: string) => void): Promise<void> {
  await fetch('/api/auth/sign-out', { method: 'POST' }).catch(() => undefined);
  queryClient.clear();
  go(`${SIGN_IN_PATH}?signedOut=1`);
}
