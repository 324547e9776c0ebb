/**
 * What a page shows while its server render is on the way (the `loading.tsx` of each server-rendered
 * route): the page's title and description in place, then grey blocks in the shape of what comes.
 * Announced as busy.
 *
 * Only routes rendered per request (they prefetch on the server: overview, timeline, runs, a run, the
 * editor) have a `loading.tsx`. Static pages that fetch in the browser (agents, approvals, audit, settings,
 * the workflow list) open at once and have none: a Suspense boundary around them lets the page hydrate
 * after the top bar, so a query the top bar started (who is signed in) could resolve in between and the
 * page's first render would no longer match its HTML.
 */
import { Skeleton } from '@/components/ui';

type Shape = 'table' | 'cards' | 'stats' | 'detail';

export function PageSkeleton({ title, description, shape = 'table' }: { title: string; description?: string; shape?: Shape }) {
  return (
    <div className="space-y-4" aria-busy="true" aria-label={`Loading ${title}`} data-testid="page-loading">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
        {description ? <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">{description}</p> : <Skeleton className="mt-2 h-4 w-72 max-w-full" />}
      </div>
      {shape === 'stats' && (
        <>
          <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
            {[0, 1, 2, 3].map((i) => (
              <Skeleton key={i} className="h-24 rounded-xl" />
            ))}
          </div>
          <Skeleton className="h-64 rounded-xl" />
        </>
      )}
      {shape === 'cards' && (
        <div className="grid gap-4 md:grid-cols-2">
          {[0, 1, 2, 3].map((i) => (
            <Skeleton key={i} className="h-44 rounded-xl" />
          ))}
        </div>
      )}
      {shape === 'detail' && (
        <>
          <Skeleton className="h-20 rounded-xl" />
          <Skeleton className="h-72 rounded-xl" />
        </>
      )}
      {shape === 'table' && (
        <div className="space-y-2 rounded-xl border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900/60">
          <Skeleton className="h-8 w-full" />
          {[0, 1, 2, 3, 4, 5].map((i) => (
            <Skeleton key={i} className="h-6 w-full" />
          ))}
        </div>
      )}
    </div>
  );
}
