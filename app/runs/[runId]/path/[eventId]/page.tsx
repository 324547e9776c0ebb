import type { Metadata } from 'next';
import { ReasoningPath } from '@/components/runs/ReasoningPath';
import { getQueryClient, HydrateClient, requireSession, trpc } from '@/components/trpc/server';

export const metadata: Metadata = { title: 'Reasoning path' };

export default async function ReasoningPathPage({ params }: { params: Promise<{ runId: string; eventId: string }> }) {
  const p = await params;
  await requireSession(`/runs/${p.runId}/path/${p.eventId}`);
  const runId = decodeURIComponent(p.runId);
  const eventRef = decodeURIComponent(p.eventId);
  await getQueryClient().prefetchQuery(trpc.runs.path.queryOptions({ runId, event: eventRef }));
  return (
    <HydrateClient>
      <ReasoningPath runId={runId} eventRef={eventRef} />
    </HydrateClient>
  );
}
