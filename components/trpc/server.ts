/**
 * Server-side tRPC for React Server Components: pages prefetch the queries their client components will
 * ask for, and `<HydrateClient>` hands the results to the browser's query cache, so the first HTML
 * already shows data and hydration starts without a round trip.
 *
 * @example
 * // app/runs/page.tsx (a server component)
 * await getQueryClient().prefetchQuery(trpc.runs.list.queryOptions(input));
 * return <HydrateClient><RunsTable /></HydrateClient>;
 *
 * The procedures run in this process with the caller's own credentials (the request's cookie or
 * Authorization header), exactly as if the browser had called them.
 */
import 'server-only';
import { dehydrate, HydrationBoundary, QueryClient } from '@tanstack/react-query';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache, createElement, type ReactNode } from 'react';
import { signInHref } from '@/components/auth/signInPath';
import { appRouter, createContext } from '@/server/api';

/** One query client per server request. */
export const getQueryClient = cache(() => new QueryClient({ defaultOptions: { queries: { staleTime: 30_000 } } }));

export const trpc = createTRPCOptionsProxy({
  ctx: async () => createContext({ req: new Request('http://spine.internal/api/trpc', { headers: await headers() }) }),
  router: appRouter,
  queryClient: getQueryClient,
});

export function HydrateClient({ children }: { children: ReactNode }) {
  return createElement(HydrationBoundary, { state: dehydrate(getQueryClient()) }, children);
}

/**
 * Sends a visitor with no session (no valid cookie or key) to sign-in before the page renders, so none of
 * the page's queries is first refused with 401. The answer is cached for the request and handed to the
 * browser with the page's other prefetched queries (`useActor` reads it without a round trip).
 *
 * @example await requireSession(pathWithSearch('/runs', await searchParams));
 */
export async function requireSession(current: string): Promise<void> {
  const me = await getQueryClient().fetchQuery(trpc.session.me.queryOptions());
  if (!me) redirect(signInHref(current));
}

/** A page's path with its query string, for `requireSession`. */
export function pathWithSearch(path: string, searchParams: Record<string, string | string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(searchParams)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) q.append(k, one);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
