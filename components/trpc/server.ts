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
import { cache, createElement, type ReactNode } from 'react';
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
