import type { Metadata } from 'next';
import { ReasoningPath } from '@/components/runs/ReasoningPath';

export const metadata: Metadata = { title: 'Reasoning path' };

export default async function ReasoningPathPage({ params }: { params: Promise<{ runId: string; eventId: string }> }) {
  const { runId, eventId } = await params;
  return <ReasoningPath runId={decodeURIComponent(runId)} eventRef={decodeURIComponent(eventId)} />;
}
