'use client';
/**
 * Sends people to sign-in when their session is gone: when any query or mutation is refused with 401, or
 * when nobody is signed in on a page that needs a session. The current page goes along as `next`. Renders
 * nothing; mounted once in the top bar.
 */
import { useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect } from 'react';
// Before any schema parses in the browser: see the file for why.
import './zodWithoutEval';
import { isPublicPath, signInHref } from './signInPath';
import { isUnauthorized } from './isUnauthorized';
import { useActor } from './useActor';

export function SessionGuard() {
  const queryClient = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const { status } = useActor();

  useEffect(() => {
    if (isPublicPath(pathname)) return;
    let sent = false;
    const toSignIn = () => {
      if (sent) return;
      sent = true;
      router.replace(signInHref(`${window.location.pathname}${window.location.search}`));
    };
    // `failed` fires on the first refused attempt, before TanStack Query's retries would delay it.
    const offQueries = queryClient.getQueryCache().subscribe((e) => {
      if (e.type === 'updated' && (e.action.type === 'failed' || e.action.type === 'error') && isUnauthorized(e.action.error)) toSignIn();
    });
    const offMutations = queryClient.getMutationCache().subscribe((e) => {
      if (e.type === 'updated' && (e.action.type === 'failed' || e.action.type === 'error') && isUnauthorized(e.action.error)) toSignIn();
    });
    if (status === 'signedOut') toSignIn();
    return () => {
      offQueries();
      offMutations();
    };
  }, [queryClient, router, pathname, status]);

  return null;
}
