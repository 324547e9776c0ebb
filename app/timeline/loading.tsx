import { PageSkeleton } from '@/components/shell/PageSkeleton';

export default function Loading() {
  return <PageSkeleton title="Timeline" description="Every event on the spine in commit order, newest on top, as it happens." />;
}
