import type { Metadata } from 'next';
import { RunDetail } from '@/components/runs/RunDetail';
import { getQueryClient, HydrateClient, requireSession, trpc } from '@/components/trpc/server';

export const metadata: Metadata = { title: 'Run' };

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  const raw = (await params).runId;
  await requireSession(`/runs/${raw}`);
  const runId = decodeURIComponent(raw);
  // The run comes with the HTML (graph, waterfall, envelope versions, events).
  await getQueryClient().prefetchQuery(trpc.runs.detail.queryOptions({ runId }));
  return (
    <HydrateClient>
      <RunDetail runId={runId} />
    </HydrateClient>
  );
}
