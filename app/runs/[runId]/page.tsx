import type { Metadata } from 'next';
import { RunDetail } from '@/components/runs/RunDetail';

export const metadata: Metadata = { title: 'Run' };

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  return <RunDetail runId={decodeURIComponent(runId)} />;
}
