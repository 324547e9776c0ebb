import type { Metadata } from 'next';
import { Suspense } from 'react';
import { RunsTable } from '@/components/runs/RunsTable';

export const metadata: Metadata = { title: 'Runs' };

export default function RunsPage() {
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Runs</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Every workflow run: where it is, who started it, what it waits on.</p>
      </div>
      <Suspense>
        <RunsTable />
      </Suspense>
    </div>
  );
}
