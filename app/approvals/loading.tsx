import { PageSkeleton } from '@/components/shell/PageSkeleton';

export default function Loading() {
  return <PageSkeleton title="Approvals" description="Runs waiting for a person: what they intend, how they got here, and what each answer leads to." shape="cards" />;
}
