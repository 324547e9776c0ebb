'use client';
/**
 * The inbox, kept current by push. The pending list is read once with the spine's head at that moment;
 * the live stream resumes after that head, so an approval requested in between is not missed. Every
 * signal (an approval requested or decided, a run that ended) refreshes the list and the card it
 * concerns. Cards that leave the pending list stay on screen as closed ("approved by …") until dismissed,
 * so a person looking at one sees that someone else decided it.
 */
import { skipToken, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { callError } from '@/components/auth/trpcError';
import { useTRPC } from '@/components/trpc/client';
import type { InboxItem } from '@/server/approvals';

export type LiveState = 'loading' | 'connecting' | 'live' | 'reconnecting' | 'offline';
export type InboxCard = { item: InboxItem; open: boolean };

export function useApprovalsInbox() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const inbox = useQuery(trpc.approvals.inbox.queryOptions(undefined, { staleTime: Infinity, refetchOnWindowFocus: false, retry: 1 }));
  const [startHead, setStartHead] = useState<number | null>(null);
  const [seen, setSeen] = useState<ReadonlyMap<string, InboxItem>>(new Map());
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const [wasLive, setWasLive] = useState(false);

  useEffect(() => {
    const data = inbox.data;
    if (!data) return;
    // The cursor is fixed by the first read: a new input would restart the subscription.
    setStartHead((h) => h ?? data.head);
    setSeen((prev) => {
      const next = new Map(prev);
      for (const a of data.approvals) next.set(a.approvalId, a);
      return next;
    });
  }, [inbox.data]);

  const live = useSubscription(
    trpc.approvals.live.subscriptionOptions(startHead === null ? skipToken : { lastEventId: String(startHead) }, {
      onStarted: () => setWasLive(true),
      onData: ({ data }) => {
        void queryClient.invalidateQueries(trpc.approvals.inbox.queryFilter());
        if (data.approvalId) void queryClient.invalidateQueries(trpc.approvals.get.queryFilter({ approvalId: data.approvalId }));
        else void queryClient.invalidateQueries(trpc.approvals.get.queryFilter());
      },
    }),
  );

  const pending = useMemo(() => new Map((inbox.data?.approvals ?? []).map((a) => [a.approvalId, a])), [inbox.data]);
  const cards: InboxCard[] = [];
  for (const [id, item] of seen) {
    if (dismissed.has(id)) continue;
    const current = pending.get(id);
    cards.push({ item: current ?? item, open: !!current });
  }

  const { refetch } = inbox;
  const { reset } = live;
  const retry = useCallback(() => {
    if (inbox.isError) void refetch();
    else reset();
  }, [inbox.isError, refetch, reset]);
  const dismiss = useCallback((ids: readonly string[]) => setDismissed((d) => new Set([...d, ...ids])), []);

  let status: LiveState;
  if (inbox.isPending) status = 'loading';
  else if (inbox.isError || live.status === 'error') status = 'offline';
  else if (live.status === 'pending') status = 'live';
  else status = wasLive ? 'reconnecting' : 'connecting';

  const error = inbox.isError ? callError(inbox.error) : live.status === 'error' ? callError(live.error) : null;
  return { cards, status, error, retry, dismiss, loaded: !!inbox.data };
}
