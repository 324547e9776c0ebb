import { Suspense } from 'react';
import { Overview } from '@/components/metrics/Overview';
import { windowOf } from '@/components/metrics/windows';
import { getQueryClient, HydrateClient, trpc } from '@/components/trpc/server';

export default async function OverviewPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const w = (await searchParams).window;
  await getQueryClient().prefetchQuery(trpc.metrics.overview.queryOptions({ window: windowOf(typeof w === 'string' ? w : null) }));
  return (
    <HydrateClient>
      <Suspense>
        <Overview />
      </Suspense>
    </HydrateClient>
  );
}
