import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Timeline } from '@/components/timeline/Timeline';
import { PAGE_SIZE, parseTimelineUrl } from '@/components/timeline/filters';
import { getQueryClient, HydrateClient, pathWithSearch, requireSession, trpc } from '@/components/trpc/server';

export const metadata: Metadata = { title: 'Timeline' };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function toSearch(sp: Awaited<SearchParams>): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(sp)) if (typeof v === 'string') p.set(k, v);
  return p;
}

export default async function TimelinePage({ searchParams }: { searchParams: SearchParams }) {
  const sp = await searchParams;
  await requireSession(pathWithSearch('/timeline', sp));
  const { filter } = parseTimelineUrl(toSearch(sp));
  // The first rows come with the page: the browser renders them before its first request.
  await getQueryClient().prefetchQuery(trpc.events.snapshot.queryOptions({ filter, firstLimit: PAGE_SIZE }));
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Timeline</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Every event on the spine in commit order, newest on top, as it happens.</p>
      </div>
      <HydrateClient>
        <Suspense>
          <Timeline />
        </Suspense>
      </HydrateClient>
    </div>
  );
}
