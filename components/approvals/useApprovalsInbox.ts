'use client';
/**
 * The inbox, a page at a time and kept current by push. The first page is read with the spine's head at
 * that moment; the live stream resumes after that head, so an approval requested in between is not missed.
 * More pages load on demand ("Load more": the infinite query follows the server's keyset cursor, so a page
 * never repeats or skips a card when approvals close meanwhile). Every signal (an approval requested or
 * decided, a run that ended) refreshes the loaded pages and the cards it concerns, never every card at
 * once: one GET per card detail would grow a batched URL with the number of cards. Cards that leave the
 * pending list because of such a signal stay on screen as closed ("approved by …") until dismissed, so a
 * person looking at one sees that someone else decided it; cards that only fall outside a new filter go.
 */
import { keepPreviousData, skipToken, useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { callError } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { InboxFacets, InboxItem } from '@/server/approvals';

export type LiveState = 'loading' | 'connecting' | 'live' | 'reconnecting' | 'offline';
export type InboxCard = { item: InboxItem; open: boolean };

/** What the person filters by; empty strings and false mean "any". */
export type InboxFilters = { search: string; workflow: string; step: string; olderThanMs: number | null; assignedToMe: boolean };
export const NO_FILTERS: InboxFilters = { search: '', workflow: '', step: '', olderThanMs: null, assignedToMe: false };

/** Cards per page. */
export const PAGE_SIZE = 25;

function queryOf(f: InboxFilters) {
  return {
    limit: PAGE_SIZE,
    ...(f.search.trim() && { search: f.search.trim() }),
    ...(f.workflow && { workflow: f.workflow }),
    ...(f.step && { step: f.step }),
    ...(f.olderThanMs !== null && { olderThanMs: f.olderThanMs }),
    ...(f.assignedToMe && { assignedToMe: true }),
  };
}

type GetKey = readonly [unknown, { input?: { approvalId?: string } }?];

export function useApprovalsInbox(filters: InboxFilters = NO_FILTERS) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const input = useMemo(() => queryOf(filters), [filters]);
  const inbox = useInfiniteQuery(
    trpc.approvals.inbox.infiniteQueryOptions(input, { getNextPageParam: (page) => page.nextCursor ?? undefined, placeholderData: keepPreviousData, staleTime: Infinity, refetchOnWindowFocus: false, retry: 1 }),
  );
  const [startHead, setStartHead] = useState<number | null>(null);
  const [seen, setSeen] = useState<{ key: string; items: ReadonlyMap<string, InboxItem> }>({ key: '', items: new Map() });
  /** Approvals and runs a live signal spoke of: a card of theirs that leaves the list has closed. */
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const [wasLive, setWasLive] = useState(false);
  const filterKey = JSON.stringify(input);

  const loaded = useMemo(() => (inbox.data?.pages ?? []).flatMap((p) => p.approvals), [inbox.data]);
  useEffect(() => {
    const first = inbox.data?.pages[0];
    if (!first || inbox.isPlaceholderData) return;
    // The cursor is fixed by the first read: a new input would restart the subscription.
    setStartHead((h) => h ?? first.head);
    setSeen((prev) => {
      const next = new Map(prev.key === filterKey ? prev.items : []);
      for (const a of loaded) next.set(a.approvalId, a);
      return { key: filterKey, items: next };
    });
  }, [inbox.data, inbox.isPlaceholderData, loaded, filterKey]);

  const live = useSubscription(
    trpc.approvals.live.subscriptionOptions(startHead === null ? skipToken : { lastEventId: String(startHead) }, {
      onStarted: () => setWasLive(true),
      onData: ({ data }) => {
        setTouched((t) => new Set([...t, ...(data.approvalId ? [data.approvalId] : []), ...(data.runId ? [data.runId] : [])]));
        void queryClient.invalidateQueries(trpc.approvals.inbox.infiniteQueryFilter());
        if (data.approvalId) void queryClient.invalidateQueries(trpc.approvals.get.queryFilter({ approvalId: data.approvalId }));
        else if (data.runId) {
          const prefix = `${data.runId}:`;
          void queryClient.invalidateQueries(trpc.approvals.get.queryFilter(undefined, { predicate: (q) => ((q.queryKey as GetKey)[1]?.input?.approvalId ?? '').startsWith(prefix) }));
        }
      },
    }),
  );

  const pending = useMemo(() => new Map(loaded.map((a) => [a.approvalId, a])), [loaded]);
  const cards: InboxCard[] = [];
  // While a new filter's first page loads, the previous cards stay (placeholder data) rather than flicker away.
  if (seen.key === filterKey || inbox.isPlaceholderData)
    for (const [id, item] of seen.items) {
      if (dismissed.has(id)) continue;
      const current = pending.get(id);
      if (current) cards.push({ item: current, open: true });
      else if (touched.has(id) || touched.has(item.runId)) cards.push({ item, open: false });
    }

  const { refetch, fetchNextPage } = inbox;
  const { reset } = live;
  const retry = useCallback(() => {
    if (inbox.isError) void refetch();
    else reset();
  }, [inbox.isError, refetch, reset]);
  const dismiss = useCallback((ids: readonly string[]) => setDismissed((d) => new Set([...d, ...ids])), []);
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);

  let status: LiveState;
  if (inbox.isPending) status = 'loading';
  else if (inbox.isError || live.status === 'error') status = 'offline';
  else if (live.status === 'pending') status = 'live';
  else status = wasLive ? 'reconnecting' : 'connecting';

  const first = inbox.data?.pages[0];
  const error = inbox.isError ? callError(inbox.error) : live.status === 'error' ? callError(live.error) : null;
  const facets: InboxFacets = first?.facets ?? { workflows: [], steps: [] };
  return {
    cards, status, error, retry, dismiss, loadMore, facets,
    loaded: !!inbox.data,
    /** Matching pending approvals on all pages, and how many of them the person may decide. */
    total: first?.total ?? 0,
    decidable: first?.decidable ?? 0,
    shown: loaded.length,
    hasMore: inbox.hasNextPage,
    loadingMore: inbox.isFetchingNextPage,
    filtering: inbox.isFetching && !inbox.isFetchingNextPage,
  };
}
