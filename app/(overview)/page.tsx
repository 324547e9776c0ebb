import { Suspense } from 'react';
import { Overview } from '@/components/metrics/Overview';
import { windowOf } from '@/components/metrics/windows';
import { getQueryClient, HydrateClient, pathWithSearch, requireSession, trpc } from '@/components/trpc/server';

export default async function OverviewPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  await requireSession(pathWithSearch('/', sp));
  const w = sp.window;
  await getQueryClient().prefetchQuery(trpc.metrics.overview.queryOptions({ window: windowOf(typeof w === 'string' ? w : null) }));
  return (
    <HydrateClient>
      <Suspense>
        <Overview />
      </Suspense>
    </HydrateClient>
  );
}
