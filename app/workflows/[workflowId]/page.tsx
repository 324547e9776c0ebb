import type { Metadata } from 'next';
import { WorkflowEditor } from '@/components/designer/WorkflowEditor';
import { getQueryClient, HydrateClient, requireSession, trpc } from '@/components/trpc/server';

export const metadata: Metadata = { title: 'Workflow designer' };

export default async function WorkflowEditorPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const { workflowId } = await params;
  await requireSession(`/workflows/${workflowId}`);
  // The workflow and the agent registry come with the HTML: the editor opens without a round trip for them.
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.workflows.get.queryOptions({ id: workflowId })),
    queryClient.prefetchQuery(trpc.agents.list.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <WorkflowEditor workflowId={workflowId} />
    </HydrateClient>
  );
}
