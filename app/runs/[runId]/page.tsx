import type { Metadata } from 'next';
import { RunDetail } from '@/components/runs/RunDetail';
import { getQueryClient, HydrateClient, trpc } from '@/components/trpc/server';

export const metadata: Metadata = { title: 'Run' };

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  const runId = decodeURIComponent((await params).runId);
  // The run comes with the HTML (graph, waterfall, envelope versions, events).
  await getQueryClient().prefetchQuery(trpc.runs.detail.queryOptions({ runId }));
  return (
    <HydrateClient>
      <RunDetail runId={runId} />
    </HydrateClient>
  );
}
