'use client';
import { memo, useState } from 'react';
import { Badge, type BadgeTone } from '@/components/ui/Badge';
import { cn } from '@/components/ui/cn';
import { ChevronIcon } from '@/components/ui/icons';
import type { SourceKind, SpineEvent } from '@/server/spine/events';
import { payloadPreview } from './eventList';

const SOURCE_TONE: Record<SourceKind, BadgeTone> = { agent: 'info', user: 'success', node: 'neutral', system: 'neutral' };

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hourCycle: 'h23',
});
const dateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

function shownTime(iso: string): { time: string; date: string | null } {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return { time: timeFormat.format(d), date: today ? null : dateFormat.format(d) };
}

/**
 * One event. Every field is rendered as text (React escapes it): payloads are untrusted input and are
 * never interpreted as HTML. `fresh` rows (arrived live) get a fading highlight.
 */
export const EventRow = memo(function EventRow({ event, fresh }: { event: SpineEvent; fresh: boolean }) {
  const [open, setOpen] = useState(false);
  const { time, date } = shownTime(event.time);
  return (
    <li
      data-testid="event-row"
      data-seq={event.seq}
      className={cn('group px-5 py-3 transition-colors hover:bg-zinc-50 dark:hover:bg-zinc-800/40', fresh && 'animate-arrive')}
    >
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className="shrink-0 font-mono text-xs text-zinc-400 tabular-nums sm:w-14 dark:text-zinc-500" title="Sequence number">
          #{event.seq}
        </span>
        <span className="font-mono text-[13px] font-medium text-zinc-900 dark:text-zinc-100">{event.type}</span>
        {event.key && (
          <span className="max-w-[16rem] truncate font-mono text-xs text-zinc-500 dark:text-zinc-400" title={event.key}>
            {event.key}
          </span>
        )}
        <Badge tone={SOURCE_TONE[event.source.kind]} title={`${event.source.kind}: ${event.source.name}`}>
          <span className="opacity-70">{event.source.kind}</span>
          <span>{event.source.name}</span>
        </Badge>
        <time
          dateTime={event.time}
          title={event.time}
          className="ml-auto font-mono text-xs text-zinc-500 tabular-nums dark:text-zinc-400"
        >
          {date && <span className="mr-1.5">{date}</span>}
          {time}
        </time>
      </div>
      <button
        type="button"
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
        className="mt-1.5 flex w-full min-w-0 items-center gap-1.5 text-left sm:pl-[4.25rem] text-zinc-500 hover:text-zinc-800 dark:text-zinc-400 dark:hover:text-zinc-200"
      >
        <ChevronIcon width={12} height={12} className={cn('shrink-0 transition-transform', open && 'rotate-90')} />
        <span className="truncate font-mono text-xs" data-testid="event-payload">
          {payloadPreview(event.payload)}
        </span>
      </button>
      {open && (
        <pre className="mt-2 max-h-80 overflow-auto rounded-md sm:ml-[4.25rem] border border-zinc-200 bg-zinc-50 p-3 font-mono text-xs leading-relaxed text-zinc-800 dark:border-zinc-800 dark:bg-zinc-950 dark:text-zinc-200">
          {JSON.stringify(event.payload, null, 2)}
        </pre>
      )}
    </li>
  );
});
