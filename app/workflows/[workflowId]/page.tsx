import type { Metadata } from 'next';
import { WorkflowEditor } from '@/components/designer/WorkflowEditor';

export const metadata: Metadata = { title: 'Workflow designer' };

export default async function WorkflowEditorPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const { workflowId } = await params;
  return <WorkflowEditor workflowId={workflowId} />;
}
