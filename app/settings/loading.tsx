import { PageSkeleton } from '@/components/shell/PageSkeleton';

export default function Loading() {
  return <PageSkeleton title="Settings" description="Your account; for admins, people and API keys." shape="cards" />;
}
