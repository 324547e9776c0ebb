'use client';
import { memo, useEffect, useRef } from 'react';
import { Badge, type BadgeTone, ChevronIcon, cn } from '@/components/ui';
import type { SourceKind, SpineEvent } from '@/server/spine/events';
import { payloadPreview } from './eventList';
import { shortId, shownTime } from './format';

export const ROW_HEIGHT = 44;

const SOURCE_TONE: Record<SourceKind, BadgeTone> = { engine: 'neutral', agent: 'info', user: 'success', apiKey: 'warning', system: 'neutral', node: 'neutral' };

/**
 * One event on one line: seq, time, type, source, key, run and the payload shortened. Every field is a
 * text node (payloads are untrusted and never interpreted as HTML). The chevron shows the payload in
 * place; the rest of the row opens the event drawer.
 */
export const TimelineRow = memo(function TimelineRow({
  event, top, fresh, selected, highlighted, expanded, onOpen, onToggle, onMeasure,
}: {
  event: SpineEvent;
  top: number;
  fresh: boolean;
  selected: boolean;
  highlighted: boolean;
  expanded: boolean;
  onOpen(seq: number): void;
  onToggle(seq: number): void;
  onMeasure(seq: number, height: number): void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { time, date } = shownTime(event.time);
  useEffect(() => {
    const el = ref.current;
    if (!expanded || !el) return;
    const ro = new ResizeObserver(() => onMeasure(event.seq, el.offsetHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, [expanded, event.seq, onMeasure]);
  return (
    <div
      ref={ref}
      data-testid="event-row"
      data-seq={event.seq}
      data-type={event.type}
      data-run-id={event.runId ?? undefined}
      role="listitem"
      aria-current={selected ? 'true' : undefined}
      style={{ transform: `translateY(${top}px)`, minHeight: ROW_HEIGHT }}
      className={cn(
        'absolute inset-x-0 top-0 border-b border-zinc-100 dark:border-zinc-800/70',
        fresh && 'animate-arrive',
        selected ? 'bg-indigo-50/80 dark:bg-indigo-950/40' : 'hover:bg-zinc-50 dark:hover:bg-zinc-800/40',
        highlighted && 'ring-2 ring-indigo-500 ring-inset',
      )}
    >
      <div className="flex h-11 items-center gap-2 px-3 sm:gap-3 sm:px-4">
        <button
          type="button"
          onClick={() => onToggle(event.seq)}
          aria-expanded={expanded}
          aria-label={expanded ? `Hide the payload of event ${event.seq}` : `Show the payload of event ${event.seq}`}
          className="grid size-6 shrink-0 place-items-center rounded text-zinc-400 hover:bg-zinc-100 hover:text-zinc-700 dark:hover:bg-zinc-800 dark:hover:text-zinc-200"
        >
          <ChevronIcon width={12} height={12} className={cn('transition-transform', expanded && 'rotate-90')} />
        </button>
        <button type="button" onClick={() => onOpen(event.seq)} className="flex h-full min-w-0 flex-1 items-center gap-2 text-left sm:gap-3" title={`Open event #${event.seq}`}>
          <span className="w-16 shrink-0 font-mono text-xs text-zinc-400 tabular-nums dark:text-zinc-500">#{event.seq}</span>
          <time dateTime={event.time} title={event.time} className="hidden w-[7.5rem] shrink-0 font-mono text-xs text-zinc-500 tabular-nums md:block dark:text-zinc-400">
            {date && <span className="mr-1">{date}</span>}
            {time}
          </time>
          <span className="max-w-[14rem] shrink-0 truncate font-mono text-[13px] font-medium text-zinc-900 dark:text-zinc-100">{event.type}</span>
          <Badge tone={SOURCE_TONE[event.source.kind]} className="hidden shrink-0 sm:inline-flex" title={`${event.source.kind}: ${event.source.name}`}>
            <span className="opacity-70">{event.source.kind}</span>
            <span className="max-w-[8rem] truncate">{event.source.name}</span>
          </Badge>
          {event.key && (
            <span className="hidden max-w-[9rem] shrink-0 truncate font-mono text-xs text-zinc-500 lg:block dark:text-zinc-400" title={event.key}>
              {event.key}
            </span>
          )}
          {event.runId && (
            <span className="hidden shrink-0 font-mono text-xs text-indigo-600 xl:block dark:text-indigo-400" title={`run ${event.runId}`}>
              run {shortId(event.runId)}
            </span>
          )}
          <span className="min-w-0 flex-1 truncate font-mono text-xs text-zinc-500 dark:text-zinc-400" data-testid="event-payload">
            {payloadPreview(event.payload, 200)}
          </span>
        </button>
      </div>
      {expanded && (
        <pre className="mx-3 mb-3 max-h-72 overflow-auto rounded-md border border-zinc-200 bg-zinc-50 p-3 font-mono text-xs leading-relaxed break-words whitespace-pre-wrap text-zinc-800 sm:ml-12 dark:border-zinc-800 dark:bg-zinc-950 dark:text-zinc-200">
          {JSON.stringify(event.payload, null, 2)}
        </pre>
      )}
    </div>
  );
});

/** A row whose window is still loading. */
export function PlaceholderRow({ top }: { top: number }) {
  return (
    <div aria-hidden style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }} className="absolute inset-x-0 top-0 flex items-center gap-3 border-b border-zinc-100 px-4 dark:border-zinc-800/70">
      <span className="h-3 w-12 animate-pulse rounded bg-zinc-200/70 dark:bg-zinc-800" />
      <span className="h-3 w-24 animate-pulse rounded bg-zinc-200/70 dark:bg-zinc-800" />
      <span className="h-3 w-32 animate-pulse rounded bg-zinc-200/70 dark:bg-zinc-800" />
      <span className="h-3 flex-1 animate-pulse rounded bg-zinc-200/50 dark:bg-zinc-800/60" />
    </div>
  );
}
