'use client';
/**
 * The overview's figures: read once, then pushed by the server after commits (it recomputes at most every
 * couple of seconds, and not at all while the log is idle). A dropped connection reconnects and the next
 * push replaces whatever was shown; nothing polls.
 */
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import type { MetricWindow, Overview } from '@/server/observability';
import type { LiveStatus } from '@/components/timeline/ConnectionStatus';

export function useOverview(window: MetricWindow): { data: Overview | null; status: LiveStatus; error: string | null; retry(): void } {
  const trpc = useTRPC();
  const first = useQuery(trpc.metrics.overview.queryOptions({ window }, { staleTime: Infinity, refetchOnWindowFocus: false }));
  const [pushed, setPushed] = useState<{ window: MetricWindow; data: Overview } | null>(null);
  const [wasLive, setWasLive] = useState(false);
  const sub = useSubscription(
    trpc.metrics.live.subscriptionOptions(
      { window },
      {
        onStarted: () => setWasLive(true),
        onData: (data) => setPushed({ window, data: data as Overview }),
      },
    ),
  );
  const live = pushed?.window === window ? pushed.data : null;
  const data = live && (!first.data || live.asOfMs >= first.data.asOfMs) ? live : (first.data ?? null);
  let status: LiveStatus;
  if (first.isPending && !live) status = 'loading';
  else if (sub.status === 'pending') status = 'live';
  else if (sub.status === 'error') status = 'offline';
  else status = wasLive ? 'reconnecting' : 'connecting';
  const error = first.isError && !data ? first.error.message : sub.status === 'error' ? (sub.error?.message ?? 'Live updates stopped') : null;
  return {
    data,
    status,
    error,
    retry: () => {
      if (first.isError) void first.refetch();
      sub.reset();
    },
  };
}
