'use client';
import { Button } from '@/components/ui/Button';
import { Card, CardDescription, CardHeader, CardTitle } from '@/components/ui/Card';
import { Skeleton } from '@/components/ui/Skeleton';
import { ConnectionStatus } from './ConnectionStatus';
import { EventRow } from './EventRow';
import { useLiveEvents } from './useLiveEvents';

/** The newest events on the spine, pushed as they commit, newest on top. */
export function LiveEvents() {
  const { events, status, startSeq, error, retry } = useLiveEvents();
  return (
    <Card aria-labelledby="live-events-title">
      <CardHeader>
        <div className="min-w-0">
          <CardTitle id="live-events-title">Live events</CardTitle>
          <CardDescription>Newest first, pushed the moment they are committed.</CardDescription>
        </div>
        <div className="ml-auto flex items-center gap-3">
          {events.length > 0 && (
            <span className="text-xs text-zinc-500 tabular-nums dark:text-zinc-400">
              {events.length} shown · head #{events[0]!.seq}
            </span>
          )}
          <ConnectionStatus status={status} />
        </div>
      </CardHeader>

      {error && (
        <div
          role="alert"
          className="flex flex-wrap items-center gap-3 border-b border-rose-200 bg-rose-50 px-5 py-3 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300"
        >
          <span className="min-w-0 flex-1">
            {events.length > 0 ? 'Live updates stopped: ' : 'Could not load events: '}
            {error}
          </span>
          <Button size="sm" onClick={retry}>
            Try again
          </Button>
        </div>
      )}

      {status === 'loading' ? (
        <LoadingRows />
      ) : events.length === 0 && !error ? (
        <EmptyState />
      ) : null}

      <ol data-testid="live-events" aria-label="Events" className="divide-y divide-zinc-100 dark:divide-zinc-800/70">
        {events.map((e) => (
          <EventRow key={e.seq} event={e} fresh={startSeq !== null && e.seq > startSeq} />
        ))}
      </ol>
    </Card>
  );
}

function LoadingRows() {
  return (
    <div aria-busy="true" aria-label="Loading events" className="divide-y divide-zinc-100 dark:divide-zinc-800/70">
      {Array.from({ length: 6 }, (_, i) => (
        <div key={i} className="space-y-2.5 px-5 py-3.5">
          <div className="flex items-center gap-3">
            <Skeleton className="h-3.5 w-10" />
            <Skeleton className="h-3.5 w-32" />
            <Skeleton className="h-3.5 w-16" />
            <Skeleton className="ml-auto h-3.5 w-24" />
          </div>
          <Skeleton className="h-3 w-2/3 sm:ml-[4.25rem]" />
        </div>
      ))}
    </div>
  );
}

function EmptyState() {
  return (
    <div className="flex flex-col items-center gap-3 px-6 py-14 text-center">
      <span className="grid size-10 place-items-center rounded-full bg-zinc-100 text-zinc-400 dark:bg-zinc-800 dark:text-zinc-500">
        <span className="size-2 rounded-full bg-current" />
      </span>
      <div>
        <p className="text-sm font-medium">No events yet</p>
        <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
          They appear here the moment they are committed. Publish one with the HTTP API:
        </p>
      </div>
      <code className="max-w-full overflow-x-auto rounded-md bg-zinc-100 px-3 py-2 text-left font-mono text-xs whitespace-pre text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
        {`POST /api/v1/events\n{"type":"case.opened","key":"case:1","payload":{}}`}
      </code>
    </div>
  );
}
