/**
 * A run's fork links on its page: the run it was forked from, with "Compare with origin", and the forks made
 * of it, each with its own Compare. Nothing when the run has neither.
 */
import Link from 'next/link';
import { shortId } from '@/components/timeline/format';
import type { RunDetail } from '@/server/observability';
import { compareHref } from './runsUrl';

const linkClass = 'inline-flex h-7 items-center rounded-md border border-zinc-200 px-2 text-xs font-medium hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800';

export function RunForks({ runId, forks }: { runId: string; forks: RunDetail['forks'] }) {
  if (!forks.from && forks.made.length === 0) return null;
  return (
    <section aria-label="Forks" className="space-y-2 rounded-lg border border-zinc-200 px-4 py-3 text-sm dark:border-zinc-800" data-testid="run-forks">
      {forks.from && (
        <p className="flex flex-wrap items-center gap-2">
          <span>
            Forked from{' '}
            <Link href={`/runs/${encodeURIComponent(forks.from.runId)}`} className="font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400" title={forks.from.runId}>
              run {shortId(forks.from.runId)}
            </Link>{' '}
            at event #{forks.from.atSeq}
          </span>
          <Link href={compareHref(forks.from.runId, runId)} className={linkClass} data-testid="compare-with-origin">
            Compare with origin
          </Link>
        </p>
      )}
      {forks.made.length > 0 && (
        <div>
          <h2 className="text-xs font-semibold tracking-wide text-zinc-500 uppercase">Forks</h2>
          <ul className="mt-1 space-y-1">
            {forks.made.map((f) => (
              <li key={f.runId} className="flex flex-wrap items-center gap-2" data-testid="run-fork">
                <Link href={`/runs/${encodeURIComponent(f.runId)}`} className="font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400" title={f.runId}>
                  run {shortId(f.runId)}
                </Link>
                <span className="text-xs text-zinc-500">forked at event #{f.atSeq}</span>
                <Link href={compareHref(runId, f.runId)} className={linkClass} data-testid="compare-with-fork">
                  Compare
                </Link>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
