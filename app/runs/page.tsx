import type { Metadata } from 'next';
import { Suspense } from 'react';
import { RunsTable } from '@/components/runs/RunsTable';
import { parseRunsUrl, runListInput } from '@/components/runs/runsUrl';
import { getQueryClient, HydrateClient, pathWithSearch, requireSession, trpc } from '@/components/trpc/server';

export const metadata: Metadata = { title: 'Runs' };

export default async function RunsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  await requireSession(pathWithSearch('/runs', sp));
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(sp)) if (typeof v === 'string') params.set(k, v);
  // The first page of runs comes with the HTML.
  await getQueryClient().prefetchQuery(trpc.runs.list.queryOptions(runListInput(parseRunsUrl(params))));
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Runs</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Every workflow run: where it is, who started it, what it waits on.</p>
      </div>
      <HydrateClient>
        <Suspense>
          <RunsTable />
        </Suspense>
      </HydrateClient>
    </div>
  );
}
