'use client';
/**
 * Keeps a query current by push: subscribes to the events that can change it and refetches it when one
 * arrives (a burst of events becomes one refetch per `throttleMs`). Also refetches after a reconnect,
 * since events may have been committed while the connection was down. Nothing polls.
 */
import { skipToken, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import type { LiveStatus } from '@/components/timeline/ConnectionStatus';

export function useLiveRefresh(opts: { queryKey: QueryKey; types?: string[]; runId?: string; enabled?: boolean; throttleMs?: number; onEvent?: (seq: number) => void }): LiveStatus {
  const { queryKey, types, runId, enabled = true, throttleMs = 400, onEvent } = opts;
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
    trpc.events.live.subscriptionOptions(enabled ? { ...(types && { types }), ...(runId && { runId }) } : skipToken, {
      onStarted: () => {
        if (wasLive) refresh();
        setWasLive(true);
      },
      onData: ({ data }) => {
        onEvent?.(data.seq);
        refresh();
      },
    }),
  );
  if (!enabled) return 'live';
  if (sub.status === 'pending') return 'live';
  if (sub.status === 'error') return 'offline';
  return wasLive ? 'reconnecting' : 'connecting';
}
