import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Not found' };

/** Any address Spine has no page for (and `notFound()` from a page), inside the app's frame. */
export default function NotFound() {
  return (
    <div className="mx-auto max-w-md py-16 text-center" data-testid="not-found">
      <p className="font-mono text-sm font-semibold text-indigo-600 dark:text-indigo-400">404</p>
      <h1 className="mt-2 text-xl font-semibold tracking-tight">There is no page here</h1>
      <p className="mt-2 text-sm text-zinc-500 dark:text-zinc-400">The address may be mistyped, or what it pointed to has moved. Runs, workflows and events keep their addresses.</p>
      <div className="mt-6 flex justify-center gap-3 text-sm">
        <Link href="/" className="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500">
          Overview
        </Link>
        <Link href="/runs" className="rounded-md border border-zinc-200 px-3 py-1.5 font-medium hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800">
          Runs
        </Link>
        <Link href="/workflows" className="rounded-md border border-zinc-200 px-3 py-1.5 font-medium hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800">
          Workflows
        </Link>
      </div>
    </div>
  );
}
