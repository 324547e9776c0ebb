'use client';
/**
 * The timeline's data: a snapshot of the log under a filter (its head `topSeq` and how many events
 * match), windows of it fetched by offset as rows scroll into view, and the live tail above it.
 *
 * Live events are pushed by a subscription that resumes after `topSeq`; on a dropped connection
 * httpSubscriptionLink reconnects with the last seq it received, and every seq is kept once (a set of
 * seen seqs), so a reconnect neither loses nor repeats an event. While the view is paused, or scrolled
 * away from the top, new events wait in `pending` ("N new events") instead of moving the rows under the
 * reader. When the live part grows large the view re-anchors on a fresh snapshot. Nothing polls.
 */
import { skipToken, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useMemo, useReducer, useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import type { SpineEvent } from '@/server/spine/events';
import type { TimelineFilter } from '@/server/observability';
import { filterKey, PAGE_SIZE } from './filters';
import type { LiveStatus } from './ConnectionStatus';

export { PAGE_SIZE };
/** Live rows kept above the snapshot before the view re-anchors on a new one. */
export const LIVE_CAP = 2000;
/** Pending rows kept while paused; beyond this, resuming re-anchors instead of merging. */
export const PENDING_CAP = 5000;

type Live = { anchor: string; live: SpineEvent[]; pending: SpineEvent[]; pendingCount: number; seen: Set<number>; lastSeq: number };
type Action = { type: 'reset'; anchor: string; topSeq: number } | { type: 'event'; anchor: string; event: SpineEvent; hold: boolean } | { type: 'flush' };

function reducer(s: Live, a: Action): Live {
  switch (a.type) {
    case 'reset':
      return { anchor: a.anchor, live: [], pending: [], pendingCount: 0, seen: new Set(), lastSeq: a.topSeq };
    case 'event': {
      if (a.anchor !== s.anchor || s.seen.has(a.event.seq) || a.event.seq <= s.lastSeq) return s;
      const seen = new Set(s.seen).add(a.event.seq);
      const insert = (list: SpineEvent[]) => {
        // Usually newer than everything shown; a replay after reconnect may interleave.
        if (list.length === 0 || a.event.seq > list[0]!.seq) return [a.event, ...list];
        return [...list, a.event].sort((x, y) => y.seq - x.seq);
      };
      if (a.hold) {
        const pending = s.pending.length < PENDING_CAP ? insert(s.pending) : s.pending;
        return { ...s, seen, pending, pendingCount: s.pendingCount + 1 };
      }
      return { ...s, seen, live: insert(s.live) };
    }
    case 'flush':
      if (s.pendingCount === 0) return s;
      return { ...s, live: [...s.pending, ...s.live].sort((x, y) => y.seq - x.seq), pending: [], pendingCount: 0 };
  }
}

function messageOf(error: unknown): string | null {
  if (!error) return null;
  const e = error as { message?: string; data?: { error?: { message?: string } } | null };
  return e.data?.error?.message ?? e.message ?? 'Something went wrong';
}

export type Timeline = {
  status: LiveStatus;
  error: string | null;
  topSeq: number | null;
  /** Rows: live ones first (newest on top), then the snapshot's. */
  count: number;
  liveCount: number;
  snapshotTotal: number;
  pendingCount: number;
  /** Highest seq delivered live (or the snapshot's top). */
  headSeq: number | null;
  row(i: number): SpineEvent | null;
  /** Tell the hook which rows are on screen, so it fetches their windows. */
  setRange(start: number, end: number): void;
  paused: boolean;
  setPaused(p: boolean): void;
  /** Hold new events while the reader is away from the top. */
  setAway(away: boolean): void;
  showPending(): void;
  /** Index of the row for `seq` (or the nearest older one the filter shows). */
  locate(seq: number): Promise<{ index: number; seq: number | null } | null>;
  retry(): void;
};

export function useTimeline(filter: TimelineFilter): Timeline {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const fkey = filterKey(filter);
  const snapshotOptions = trpc.events.snapshot.queryOptions({ filter, firstLimit: PAGE_SIZE }, { staleTime: Infinity, gcTime: 60_000, refetchOnWindowFocus: false, refetchOnReconnect: false });
  const snap = useQuery(snapshotOptions);
  const topSeq = snap.data?.topSeq ?? null;
  const windowKey = (offset: number) => trpc.events.window.queryKey({ filter, topSeq: topSeq ?? 0, offset, limit: PAGE_SIZE });
  const anchor = `${fkey}@${topSeq}`;
  const [s, dispatch] = useReducer(reducer, { anchor: '', live: [], pending: [], pendingCount: 0, seen: new Set<number>(), lastSeq: 0 });
  const [paused, setPaused] = useState(false);
  const [away, setAway] = useState(false);
  const [range, setRangeState] = useState<[number, number]>([0, 60]);
  const [wasLive, setWasLive] = useState(false);

  useEffect(() => {
    if (topSeq !== null) dispatch({ type: 'reset', anchor, topSeq });
  }, [anchor, topSeq]);

  const hold = paused || away;
  const sub = useSubscription(
    trpc.events.live.subscriptionOptions(topSeq === null ? skipToken : { ...filter, lastEventId: String(topSeq) }, {
      onStarted: () => setWasLive(true),
      onData: ({ data }) => dispatch({ type: 'event', anchor, event: data as SpineEvent, hold }),
    }),
  );

  // Back at the top and not paused: show what arrived meanwhile.
  useEffect(() => {
    if (!hold && s.pendingCount > 0) {
      if (s.pendingCount > s.pending.length) void queryClient.invalidateQueries({ queryKey: snapshotOptions.queryKey });
      else dispatch({ type: 'flush' });
    }
  }, [hold, s.pendingCount, s.pending.length, queryClient, snapshotOptions.queryKey]);

  // Re-anchor when the live part has grown large and the reader is at the top.
  useEffect(() => {
    if (!hold && s.live.length > LIVE_CAP) void queryClient.invalidateQueries({ queryKey: snapshotOptions.queryKey });
  }, [hold, s.live.length, queryClient, snapshotOptions.queryKey]);

  const liveCount = s.anchor === anchor ? s.live.length : 0;
  const total = snap.data?.total ?? 0;
  const [start, end] = range;
  const pages = useMemo(() => {
    if (topSeq === null) return [];
    const first = Math.max(0, Math.floor((start - liveCount) / PAGE_SIZE));
    const last = Math.floor((Math.max(start, end - 1) - liveCount) / PAGE_SIZE);
    const out: number[] = [];
    for (let p = first; p <= last && p * PAGE_SIZE < total; p++) out.push(p);
    return out;
  }, [start, end, liveCount, total, topSeq]);

  const windows = useQueries({
    queries: pages.map((p) =>
      trpc.events.window.queryOptions(
        { filter, topSeq: topSeq ?? 0, offset: p * PAGE_SIZE, limit: PAGE_SIZE },
        // The snapshot carries its first window, so the first rows need no second request.
        { staleTime: Infinity, gcTime: 120_000, refetchOnWindowFocus: false, ...(p === 0 && snap.data && { initialData: snap.data.first }) },
      ),
    ),
  });
  const byPage = new Map<number, SpineEvent[]>();
  pages.forEach((p, i) => {
    const d = windows[i]?.data;
    if (d) byPage.set(p, d as SpineEvent[]);
  });
  const windowError = windows.find((w) => w.isError)?.error ?? null;

  const row = (i: number): SpineEvent | null => {
    if (i < liveCount) return s.live[i] ?? null;
    const k = i - liveCount;
    const page = byPage.get(Math.floor(k / PAGE_SIZE)) ?? (queryClient.getQueryData(windowKey(Math.floor(k / PAGE_SIZE) * PAGE_SIZE)) as SpineEvent[] | undefined);
    return page?.[k % PAGE_SIZE] ?? null;
  };

  const setRange = useCallback((a: number, b: number) => {
    setRangeState((cur) => (cur[0] === a && cur[1] === b ? cur : [a, b]));
  }, []);

  const locate = useCallback(
    async (seq: number) => {
      if (topSeq === null) return null;
      if (seq > topSeq) {
        const i = s.live.findIndex((e) => e.seq <= seq);
        return i === -1 ? { index: Math.max(0, liveCount - 1), seq: null } : { index: i, seq: s.live[i]!.seq };
      }
      const r = await queryClient.fetchQuery(trpc.events.locate.queryOptions({ filter, topSeq, seq }, { staleTime: 0 }));
      return { index: liveCount + r.offset, seq: r.seq };
    },
    [filter, topSeq, s.live, liveCount, queryClient, trpc],
  );

  const { refetch } = snap;
  const { reset } = sub;
  const retry = useCallback(() => {
    if (snap.isError) void refetch();
    else reset();
  }, [snap.isError, refetch, reset]);

  let status: LiveStatus;
  if (snap.isPending) status = 'loading';
  else if (snap.isError || sub.status === 'error') status = 'offline';
  else if (sub.status === 'pending') status = 'live';
  else status = wasLive ? 'reconnecting' : 'connecting';

  return {
    status,
    error: messageOf(snap.error) ?? (sub.status === 'error' ? messageOf(sub.error) : null) ?? messageOf(windowError),
    topSeq,
    count: liveCount + total,
    liveCount,
    snapshotTotal: total,
    pendingCount: s.anchor === anchor ? s.pendingCount : 0,
    headSeq: s.live[0]?.seq ?? topSeq,
    row,
    setRange,
    paused,
    setPaused,
    setAway,
    showPending: () => dispatch({ type: 'flush' }),
    locate,
    retry,
  };
}
