import { EditorSkeleton } from '@/components/designer/WorkflowEditor';

export default function Loading() {
  return <EditorSkeleton />;
}
