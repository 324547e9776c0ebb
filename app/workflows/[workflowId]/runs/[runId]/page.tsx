import { redirect } from 'next/navigation';

/** A run has one page: links from before it moved land on `/runs/[runId]`. */
export default async function WorkflowRunPage({ params }: { params: Promise<{ workflowId: string; runId: string }> }) {
  // The segment arrives as it stood in the URL, so it goes on as it is.
  redirect(`/runs/${(await params).runId}`);
}
