'use client';
/**
 * A run's steps on a time axis: per node, the agent's attempts (completed, failed, stale), the waits
 * between them (retry, re-run on a changed context), waits for approvals, timers, joins and the entity
 * key. Open spans grow with the clock until their end is pushed.
 */
import { cn } from '@/components/ui';
import type { Span, Waterfall as WaterfallData } from '@/server/observability';
import { duration, shortDuration } from '@/components/timeline/format';

const LOOK: Record<string, string> = {
  'work:ok': 'bg-emerald-500',
  'work:failed': 'bg-rose-500',
  'work:stale': 'bg-amber-500 bg-[repeating-linear-gradient(45deg,transparent,transparent_4px,rgba(255,255,255,.35)_4px,rgba(255,255,255,.35)_8px)]',
  'work:open': 'bg-indigo-500 animate-pulse',
  'retry-wait': 'border border-dashed border-rose-400 bg-rose-100 dark:bg-rose-950/50',
  'approval-wait': 'bg-amber-300 dark:bg-amber-600',
  'timer-wait': 'bg-sky-300 dark:bg-sky-700',
  'join-wait': 'bg-violet-300 dark:bg-violet-700',
  'queue-wait': 'bg-zinc-300 dark:bg-zinc-600',
  instant: 'bg-zinc-500',
};

const KIND_LABEL: Record<string, string> = {
  work: 'work', 'retry-wait': 'waiting to retry', 'approval-wait': 'waiting for approval', 'timer-wait': 'timer', 'join-wait': 'waiting for inputs', 'queue-wait': 'queued behind key', instant: 'step',
};

export function Waterfall({ data, now, onOpenEvent }: { data: WaterfallData; now: number; onOpenEvent?(seq: number): void }) {
  if (data.rows.length === 0) return <p className="px-5 py-8 text-center text-sm text-zinc-500">Nothing has happened in this run yet.</p>;
  const start = data.startMs;
  const end = Math.max(data.endMs ?? now, start + 1);
  const span = end - start;
  const pct = (t: number) => ((t - start) / span) * 100;
  const ticks = Array.from({ length: 5 }, (_, i) => start + (span * i) / 4);
  return (
    <div className="px-5 py-4" data-testid="waterfall">
      <div className="mb-2 grid grid-cols-[minmax(8rem,12rem)_1fr] gap-3 text-[10px] text-zinc-500">
        <span />
        <div className="relative h-4">
          {ticks.map((t, i) => (
            <span key={i} className={cn('absolute top-0 tabular-nums', i === 0 ? '' : i === ticks.length - 1 ? '-translate-x-full' : '-translate-x-1/2')} style={{ left: `${pct(t)}%` }}>
              +{shortDuration(t - start)}
            </span>
          ))}
        </div>
      </div>
      <ul className="space-y-1.5">
        {data.rows.map((r) => (
          <li key={r.id} className="grid grid-cols-[minmax(8rem,12rem)_1fr] items-center gap-3" data-testid="waterfall-row" data-node-id={r.nodeId ?? r.id}>
            <span className="truncate text-xs" title={`${r.label} (${r.kind})`}>
              {r.label}
              <span className="ml-1 text-zinc-400">{r.kind}</span>
            </span>
            <div className="relative h-5 rounded bg-zinc-50 dark:bg-zinc-900">
              {ticks.slice(1, -1).map((t, i) => (
                <span key={i} aria-hidden className="absolute inset-y-0 w-px bg-zinc-200/70 dark:bg-zinc-800" style={{ left: `${pct(t)}%` }} />
              ))}
              {r.spans.map((s, i) => (
                <Bar key={i} s={s} left={pct(s.startMs)} width={pct(s.endMs ?? now) - pct(s.startMs)} now={now} onOpen={onOpenEvent} />
              ))}
            </div>
          </li>
        ))}
      </ul>
      <Legend />
    </div>
  );
}

function Bar({ s, left, width, now, onOpen }: { s: Span; left: number; width: number; now: number; onOpen?(seq: number): void }) {
  const key = s.kind === 'work' ? `work:${s.outcome === 'rejected' ? 'failed' : s.outcome}` : s.kind;
  const took = (s.endMs ?? now) - s.startMs;
  const title = `${KIND_LABEL[s.kind]}${s.attempt ? ` · attempt ${s.attempt}` : ''}${s.note ? ` · ${s.note}` : ''} · ${s.outcome === 'open' ? 'still open' : s.outcome} · ${duration(took)}`;
  return (
    <button
      type="button"
      title={title}
      aria-label={title}
      onClick={() => s.seqs[0] !== undefined && onOpen?.(s.seqs[0])}
      data-kind={s.kind}
      data-outcome={s.outcome}
      className={cn('absolute top-0.5 bottom-0.5 rounded-sm', s.kind === 'instant' ? 'w-1.5 -translate-x-1/2 rounded-full' : '', LOOK[key] ?? 'bg-zinc-400')}
      style={{ left: `${Math.max(0, Math.min(100, left))}%`, ...(s.kind !== 'instant' && { width: `max(3px, ${Math.max(0, width)}%)` }) }}
    />
  );
}

function Legend() {
  const items: [string, string][] = [
    ['work:ok', 'completed'], ['work:failed', 'failed'], ['work:stale', 'stale result'], ['work:open', 'working'], ['retry-wait', 'waiting to retry / re-run'],
    ['approval-wait', 'approval'], ['join-wait', 'join'], ['timer-wait', 'timer'], ['queue-wait', 'entity-key queue'], ['instant', 'step'],
  ];
  return (
    <ul className="mt-4 flex flex-wrap gap-x-4 gap-y-1 text-[11px] text-zinc-500">
      {items.map(([k, label]) => (
        <li key={k} className="flex items-center gap-1.5">
          <span aria-hidden className={cn('inline-block h-2.5 w-4 rounded-sm', LOOK[k])} />
          {label}
        </li>
      ))}
    </ul>
  );
}
