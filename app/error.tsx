'use client';
import Link from 'next/link';
import { useEffect } from 'react';

/**
 * A page that failed to render, inside the app's frame: what happened in words, the digest that finds the
 * server's log line (server errors' messages are never shown), and a way to try again.
 */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div className="mx-auto max-w-md py-16 text-center" role="alert" data-testid="error-page">
      <p className="font-mono text-sm font-semibold text-rose-600 dark:text-rose-400">Error</p>
      <h1 className="mt-2 text-xl font-semibold tracking-tight">This page could not be shown</h1>
      <p className="mt-2 text-sm text-zinc-500 dark:text-zinc-400">
        Something went wrong while it was being prepared. Nothing you did was lost; trying again usually works.
        {error.digest && (
          <>
            {' '}
            Reference <span className="font-mono">{error.digest}</span>.
          </>
        )}
      </p>
      <div className="mt-6 flex justify-center gap-3 text-sm">
        <button type="button" onClick={reset} className="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500">
          Try again
        </button>
        <Link href="/" className="rounded-md border border-zinc-200 px-3 py-1.5 font-medium hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800">
          Overview
        </Link>
      </div>
    </div>
  );
}
