import { Suspense } from 'react';
import { Overview } from '@/components/metrics/Overview';

export default function OverviewPage() {
  return (
    <Suspense>
      <Overview />
    </Suspense>
  );
}
