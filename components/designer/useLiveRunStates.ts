'use client';
/**
 * A run's node states, kept current by push: a first read (`workflows.runStates`), then the
 * `workflows.liveRunStates` subscription from that point, each snapshot tracked by its event seq so a
 * reconnect resumes where it stopped. The newest snapshot by seq wins; nothing polls. The subscription
 * ends once the run has finished.
 */
import { skipToken, useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import type { RunStates } from '@/server/api/routers/workflows';

export type LiveRunStates = { run: RunStates | null; connection: 'loading' | 'live' | 'reconnecting' | 'ended' | 'error'; error: string | null };

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function useLiveRunStates(runId: string): LiveRunStates {
  const trpc = useTRPC();
  const first = useQuery(trpc.workflows.runStates.queryOptions({ runId }, { staleTime: Infinity, refetchOnWindowFocus: false, retry: 1 }));
  const [pushed, setPushed] = useState<RunStates | null>(null);
  const run = pushed && (!first.data || pushed.seq >= first.data.seq) ? pushed : (first.data ?? null);
  const ended = run !== null && TERMINAL.has(run.status);
  const sub = useSubscription(
    trpc.workflows.liveRunStates.subscriptionOptions(first.data && !ended ? { runId, lastEventId: String(first.data.seq) } : skipToken, {
      onData: ({ data }) => setPushed((cur) => (!cur || data.seq >= cur.seq ? data : cur)),
    }),
  );
  const connection = first.isPending ? 'loading' : first.isError ? 'error' : ended ? 'ended' : sub.status === 'pending' ? 'live' : sub.status === 'error' ? 'error' : 'reconnecting';
  const error = first.error?.message ?? (sub.status === 'error' ? (sub.error?.message ?? 'The live stream failed') : null);
  return { run, connection, error };
}
