import type { Metadata } from 'next';
import { LiveRunView } from '@/components/workflows/LiveRunView';

export const metadata: Metadata = { title: 'Run' };

export default async function WorkflowRunPage({ params }: { params: Promise<{ workflowId: string; runId: string }> }) {
  const { workflowId, runId } = await params;
  return <LiveRunView workflowId={workflowId} runId={runId} />;
}
