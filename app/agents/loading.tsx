import { PageSkeleton } from '@/components/shell/PageSkeleton';

export default function Loading() {
  return <PageSkeleton title="Agents" description="The registry: what agent nodes call, and how each agent has done over the last hour." />;
}
