'use client';
/**
 * The timeline: every event in seq order, newest on top, streaming live. Virtualized (only the rows in
 * view are in the page, their windows fetched on demand), so 100,000+ events scroll smoothly. The filter,
 * the open event and a jump target live in the URL.
 */
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Button, Card, cn } from '@/components/ui';
import { ConnectionStatus } from './ConnectionStatus';
import { EventDrawer } from './EventDrawer';
import { isFiltered, parseTimelineUrl, timelineSearch } from './filters';
import { count as fmtCount } from './format';
import { PlaceholderRow, ROW_HEIGHT, TimelineRow } from './TimelineRow';
import { TimelineFilters } from './TimelineFilters';
import { useTimeline } from './useTimeline';
import { computeWindow } from './virtualWindow';

export function Timeline() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const search = params.toString();
  const url = useMemo(() => parseTimelineUrl(new URLSearchParams(search)), [search]);
  const { filter, selected } = url;
  const t = useTimeline(filter);

  const scrollRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [expanded, setExpanded] = useState<{ seq: number; snapOffset: number | null; extra: number } | null>(null);
  const [highlight, setHighlight] = useState<number | null>(null);
  const [jumpNote, setJumpNote] = useState<string | null>(null);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    setViewport(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  const expandedIndex = useMemo(() => {
    if (!expanded) return -1;
    if (expanded.snapOffset !== null) return t.liveCount + expanded.snapOffset;
    for (let i = 0; i < t.liveCount; i++) if (t.row(i)?.seq === expanded.seq) return i;
    return -1;
  }, [expanded, t]);

  const win = computeWindow({ count: t.count, rowHeight: ROW_HEIGHT, viewport, scrollTop, expanded: expanded && expandedIndex >= 0 ? { index: expandedIndex, extra: expanded.extra } : null });
  const { setRange, setAway } = t;
  useEffect(() => setRange(win.start, win.end), [win.start, win.end, setRange]);
  useEffect(() => setAway(scrollTop > ROW_HEIGHT), [scrollTop, setAway]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (el) setScrollTop(el.scrollTop);
  }, []);

  const go = useCallback(
    (next: { selected?: number | null; jump?: number | null }) => {
      router.replace(`${pathname}${timelineSearch(filter, { selected: next.selected === undefined ? selected : next.selected, jump: next.jump ?? null })}`, { scroll: false });
    },
    [router, pathname, filter, selected],
  );
  const open = useCallback((seq: number) => go({ selected: seq }), [go]);
  const close = useCallback(() => go({ selected: null }), [go]);
  const toggle = useCallback(
    (seq: number) =>
      setExpanded((cur) => {
        if (cur?.seq === seq) return null;
        let index = -1;
        for (let i = win.start; i < win.end; i++) if (t.row(i)?.seq === seq) index = i;
        return { seq, snapOffset: index >= t.liveCount ? index - t.liveCount : null, extra: 0 };
      }),
    [win.start, win.end, t],
  );
  const measure = useCallback((seq: number, height: number) => setExpanded((cur) => (cur && cur.seq === seq && cur.extra !== height - ROW_HEIGHT ? { ...cur, extra: Math.max(0, height - ROW_HEIGHT) } : cur)), []);

  const jumpTo = useCallback(
    async (seq: number) => {
      const r = await t.locate(seq).catch(() => null);
      if (!r) {
        setJumpNote(`Could not find #${seq}.`);
        return;
      }
      const el = scrollRef.current;
      if (el) el.scrollTop = computeWindow({ count: t.count, rowHeight: ROW_HEIGHT, viewport, scrollTop: 0 }).scrollFor(r.index, viewport / 3);
      setHighlight(r.seq);
      setJumpNote(r.seq === null ? `Nothing at or before #${seq} matches the filter.` : r.seq === seq ? `Showing #${seq}.` : `#${seq} is not shown with this filter; nearest before it: #${r.seq}.`);
    },
    [t, viewport],
  );

  // A jump in the URL (shared link) happens once the snapshot is there.
  const pendingJump = useRef<number | null>(url.jump);
  useEffect(() => {
    if (pendingJump.current !== null && t.topSeq !== null) {
      const seq = pendingJump.current;
      pendingJump.current = null;
      void jumpTo(seq);
    }
  }, [t.topSeq, jumpTo]);

  const showNew = () => {
    t.showPending();
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  };

  const rows = [];
  for (let i = win.start; i < win.end; i++) {
    const e = t.row(i);
    rows.push(
      e ? (
        <TimelineRow
          key={e.seq}
          event={e}
          top={win.top(i)}
          fresh={t.topSeq !== null && e.seq > t.topSeq}
          selected={selected === e.seq}
          highlighted={highlight === e.seq}
          expanded={expanded?.seq === e.seq}
          onOpen={open}
          onToggle={toggle}
          onMeasure={measure}
        />
      ) : (
        <PlaceholderRow key={`p${i}`} top={win.top(i)} />
      ),
    );
  }

  return (
    <>
      <Card aria-labelledby="timeline-title" className="overflow-hidden">
        <header className="flex flex-wrap items-center gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
          <div className="min-w-0">
            <h2 id="timeline-title" className="text-sm font-semibold tracking-tight">
              {isFiltered(filter) ? 'Matching events' : 'All events'}
            </h2>
            <p className="text-xs text-zinc-500 tabular-nums dark:text-zinc-400" data-testid="timeline-count">
              {t.topSeq === null ? 'Loading…' : `${fmtCount(t.count)} event${t.count === 1 ? '' : 's'} · head #${t.headSeq ?? 0}`}
            </p>
          </div>
          <div className="ml-auto flex flex-wrap items-center gap-2">
            <JumpForm onJump={jumpTo} />
            <Button size="sm" variant={t.paused ? 'primary' : 'secondary'} onClick={() => t.setPaused(!t.paused)} aria-pressed={t.paused} data-testid="pause-toggle">
              {t.paused ? 'Resume live' : 'Pause'}
            </Button>
            <ConnectionStatus status={t.paused && t.status === 'live' ? 'paused' : t.status} />
          </div>
        </header>
        <TimelineFilters key={search} filter={filter} problems={url.problems} onApply={(p) => router.push(`${pathname}${p.toString() ? `?${p.toString().replace(/%2C/gi, ',').replace(/%3A/gi, ':')}` : ''}`)} />
        {jumpNote && (
          <p className="flex items-center gap-2 border-b border-zinc-200 bg-zinc-50 px-4 py-1.5 text-xs text-zinc-600 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-300" role="status">
            {jumpNote}
            <button type="button" className="ml-auto text-zinc-500 hover:text-zinc-800 dark:hover:text-zinc-100" onClick={() => setJumpNote(null)}>
              Dismiss
            </button>
          </p>
        )}
        {t.error && (
          <div role="alert" className="flex flex-wrap items-center gap-3 border-b border-rose-200 bg-rose-50 px-4 py-2.5 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300">
            <span className="min-w-0 flex-1">
              {t.topSeq === null ? 'Could not load events: ' : 'Live updates stopped: '}
              {t.error}
            </span>
            <Button size="sm" onClick={t.retry}>
              Try again
            </Button>
          </div>
        )}
        <div className="relative">
          {t.pendingCount > 0 && (
            <button
              type="button"
              onClick={showNew}
              data-testid="new-events"
              className="absolute top-3 left-1/2 z-10 -translate-x-1/2 rounded-full bg-indigo-600 px-3.5 py-1.5 text-xs font-medium text-white shadow-lg hover:bg-indigo-500"
            >
              ↑ {fmtCount(t.pendingCount)} new event{t.pendingCount === 1 ? '' : 's'}
            </button>
          )}
          <div ref={scrollRef} onScroll={onScroll} className="h-[calc(100dvh-17rem)] min-h-[24rem] overflow-y-auto overscroll-contain" tabIndex={0} aria-label="Events, newest first">
            {t.status === 'loading' ? (
              <LoadingRows />
            ) : t.count === 0 && !t.error ? (
              <EmptyState filtered={isFiltered(filter)} />
            ) : (
              <div role="list" data-testid="live-events" aria-label="Events" className={cn('relative w-full')} style={{ height: win.total }}>
                {rows}
              </div>
            )}
          </div>
        </div>
      </Card>
      {selected !== null && <EventDrawer key={selected} seq={selected} onClose={close} onOpen={open} />}
    </>
  );
}

function JumpForm({ onJump }: { onJump(seq: number): void }) {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(value.replace(/^#/, ''));
    if (Number.isSafeInteger(n) && n > 0) onJump(n);
  };
  return (
    <form onSubmit={submit} className="flex items-center gap-1" aria-label="Jump to a seq">
      <label>
        <span className="sr-only">Seq</span>
        <input
          value={value}
          onChange={(e) => setValue(e.target.value)}
          inputMode="numeric"
          placeholder="Jump to #seq"
          className="h-8 w-32 rounded-md border border-zinc-200 bg-white px-2 font-mono text-sm placeholder:font-sans placeholder:text-zinc-400 focus:border-indigo-500 focus:outline-none dark:border-zinc-800 dark:bg-zinc-900"
          name="seq"
        />
      </label>
      <Button type="submit" size="sm" variant="ghost">
        Go
      </Button>
    </form>
  );
}

function LoadingRows() {
  return (
    <div aria-busy="true" aria-label="Loading events">
      {Array.from({ length: 10 }, (_, i) => (
        <div key={i} className="flex h-11 items-center gap-3 border-b border-zinc-100 px-4 dark:border-zinc-800/70">
          <span className="h-3 w-12 animate-pulse rounded bg-zinc-200/70 dark:bg-zinc-800" />
          <span className="h-3 w-24 animate-pulse rounded bg-zinc-200/70 dark:bg-zinc-800" />
          <span className="h-3 w-32 animate-pulse rounded bg-zinc-200/70 dark:bg-zinc-800" />
          <span className="h-3 flex-1 animate-pulse rounded bg-zinc-200/50 dark:bg-zinc-800/60" />
        </div>
      ))}
    </div>
  );
}

function EmptyState({ filtered }: { filtered: boolean }) {
  return (
    <div className="flex flex-col items-center gap-3 px-6 py-16 text-center">
      <span className="grid size-10 place-items-center rounded-full bg-zinc-100 text-zinc-400 dark:bg-zinc-800 dark:text-zinc-500">
        <span className="size-2 rounded-full bg-current" />
      </span>
      {filtered ? (
        <div>
          <p className="text-sm font-medium">No event matches this filter yet</p>
          <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">Matching events appear here the moment they are committed.</p>
        </div>
      ) : (
        <div>
          <p className="text-sm font-medium">No events yet</p>
          <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">They appear here the moment they are committed. Publish one with the HTTP API:</p>
          <code className="mt-3 inline-block max-w-full overflow-x-auto rounded-md bg-zinc-100 px-3 py-2 text-left font-mono text-xs whitespace-pre text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
            {`POST /api/v1/events\n{"type":"case.opened","key":"case:1","payload":{}}`}
          </code>
        </div>
      )}
    </div>
  );
}
