'use client';
/**
 * The newest events, kept current by push. First the newest `limit` events are read; then a
 * subscription resumes from the newest of them, so nothing committed in between is missed. On a dropped
 * connection httpSubscriptionLink reconnects with the last seq it received, and the list's union by seq
 * (eventList.ts) drops anything delivered twice. Nothing polls.
 */
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { skipToken } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import type { SpineEvent } from '@/server/spine/events';
import { MAX_ROWS, mergeNewestFirst } from './eventList';

export type LiveStatus = 'loading' | 'connecting' | 'live' | 'reconnecting' | 'offline';

export type LiveEvents = {
  events: readonly SpineEvent[];
  status: LiveStatus;
  /** Highest seq of the first read: rows above it arrived live. */
  startSeq: number | null;
  /** Why the first read or the live stream failed, for people. */
  error: string | null;
  /** Retries whatever failed. */
  retry(): void;
};

function messageOf(error: { message: string; data?: { error?: { message: string } } | null } | null): string | null {
  if (!error) return null;
  return error.data?.error?.message ?? error.message;
}

export function useLiveEvents(limit: number = MAX_ROWS): LiveEvents {
  const trpc = useTRPC();
  const latest = useQuery(
    trpc.events.latest.queryOptions(
      { limit },
      { staleTime: Infinity, refetchOnWindowFocus: false, refetchOnReconnect: false },
    ),
  );
  const [events, setEvents] = useState<readonly SpineEvent[]>([]);
  const [wasLive, setWasLive] = useState(false);

  useEffect(() => {
    if (latest.data) setEvents((current) => mergeNewestFirst(current, latest.data, limit));
  }, [latest.data, limit]);

  // The cursor is fixed once per first read: a new input would restart the subscription.
  const startSeq = latest.data ? (latest.data[0]?.seq ?? 0) : null;
  const live = useSubscription(
    trpc.events.live.subscriptionOptions(startSeq === null ? skipToken : { lastEventId: String(startSeq) }, {
      onStarted: () => setWasLive(true),
      onData: ({ data }) => setEvents((current) => mergeNewestFirst(current, [data], limit)),
    }),
  );

  const { refetch } = latest;
  const { reset } = live;
  const retry = useCallback(() => {
    if (latest.isError) void refetch();
    else reset();
  }, [latest.isError, refetch, reset]);

  let status: LiveStatus;
  if (latest.isPending) status = 'loading';
  else if (latest.isError || live.status === 'error') status = 'offline';
  else if (live.status === 'pending') status = 'live';
  else status = wasLive ? 'reconnecting' : 'connecting';

  return {
    events,
    status,
    startSeq,
    error: latest.isError ? messageOf(latest.error) : live.status === 'error' ? messageOf(live.error) : null,
    retry,
  };
}
