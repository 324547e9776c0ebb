import { PageSkeleton } from '@/components/shell/PageSkeleton';

export default function Loading() {
  return <PageSkeleton title="Runs" description="Every workflow run: where it is, who started it, what it waits on." />;
}
