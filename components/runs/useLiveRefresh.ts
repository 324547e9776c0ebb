'use client';
/**
 * Keeps a query current by push: subscribes to the events that can change it and refetches it when one
 * arrives (a burst of events becomes one refetch per `throttleMs`). Nothing polls.
 *
 * No event may fall between the data and the subscription (the page is rendered on the server, then the
 * browser subscribes, and a run moves on meanwhile). With `since`, the seq the data is known to include,
 * the subscription starts there and the server replays what came after. Without it, the query is
 * refetched once the subscription has started. Either way it refetches after a reconnect, since events may
 * have been committed while the connection was down.
 */
import { skipToken, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import type { LiveStatus } from '@/components/timeline/ConnectionStatus';

export function useLiveRefresh(opts: {
  queryKey: QueryKey;
  types?: string[];
  runId?: string;
  enabled?: boolean;
  throttleMs?: number;
  /** The newest seq the data includes; `null` while the data is loading (nothing is subscribed yet). */
  since?: number | null;
  onEvent?: (seq: number) => void;
}): LiveStatus {
  const { queryKey, types, runId, throttleMs = 400, since, onEvent } = opts;
  const enabled = (opts.enabled ?? true) && since !== null;
  // The cursor is the first `since` seen: later data must not restart the subscription.
  const cursor = useRef<number | undefined>(undefined);
  if (cursor.current === undefined && typeof since === 'number') cursor.current = since;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [wasLive, setWasLive] = useState(false);
  const keyRef = useRef(queryKey);
  keyRef.current = queryKey;
  const refresh = () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void queryClient.invalidateQueries({ queryKey: keyRef.current });
    }, throttleMs);
  };
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const sub = useSubscription(
    trpc.events.live.subscriptionOptions(enabled ? { ...(types && { types }), ...(runId && { runId }), ...(cursor.current !== undefined && { lastEventId: String(cursor.current) }) } : skipToken, {
      onStarted: () => {
        if (wasLive || cursor.current === undefined) refresh();
        setWasLive(true);
      },
      onData: ({ data }) => {
        onEvent?.(data.seq);
        refresh();
      },
    }),
  );
  if (!enabled) return opts.enabled === false ? 'live' : 'connecting';
  if (sub.status === 'pending') return 'live';
  if (sub.status === 'error') return 'offline';
  return wasLive ? 'reconnecting' : 'connecting';
}
