import type { Metadata } from 'next';
import Link from 'next/link';
import { RunCompare } from '@/components/runs/RunCompare';
import { getQueryClient, HydrateClient, pathWithSearch, requireSession, trpc } from '@/components/trpc/server';

export const metadata: Metadata = { title: 'Compare runs' };

/** `/runs/compare?a=<runId>&b=<runId>`: two runs side by side, and where they diverge. */
export default async function CompareRunsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  await requireSession(pathWithSearch('/runs/compare', sp));
  const a = typeof sp.a === 'string' ? sp.a.trim() : '';
  const b = typeof sp.b === 'string' ? sp.b.trim() : '';
  if (!a || !b || a.length > 128 || b.length > 128)
    return (
      <div className="space-y-2">
        <h1 className="text-xl font-semibold tracking-tight">Compare runs</h1>
        <p className="text-sm text-zinc-500">
          Name two runs to compare: <span className="font-mono">/runs/compare?a=&lt;run&gt;&amp;b=&lt;run&gt;</span>. A forked run&apos;s page links to its comparison with its origin;{' '}
          <Link href="/runs" className="underline">
            the runs table
          </Link>{' '}
          compares any two you tick.
        </p>
      </div>
    );
  // The comparison comes with the HTML.
  await getQueryClient().prefetchQuery(trpc.runs.compare.queryOptions({ a, b }));
  return (
    <HydrateClient>
      <RunCompare a={a} b={b} />
    </HydrateClient>
  );
}
