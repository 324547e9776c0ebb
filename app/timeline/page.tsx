import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Timeline } from '@/components/timeline/Timeline';

export const metadata: Metadata = { title: 'Timeline' };

export default function TimelinePage() {
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Timeline</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Every event on the spine in commit order, newest on top, as it happens.</p>
      </div>
      <Suspense>
        <Timeline />
      </Suspense>
    </div>
  );
}
