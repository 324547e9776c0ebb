'use client';
import { SIGN_IN_PATH } from './signInPath';

/**
 * Ends the session (the server deletes it and clears the cookie) and loads the sign-in page afresh, so
 * nothing cached for this identity stays in memory.
 */
export async function signOut(notice: 'signedOut' | 'passwordChanged' = 'signedOut'): Promise<void> {
  await fetch('/api/auth/sign-out', { method: 'POST' }).catch(() => undefined);
  window.location.assign(`${SIGN_IN_PATH}?${notice}=1`);
}
