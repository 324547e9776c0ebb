import { cn } from '@/components/ui';

/** A live view's connection, as people see it. */
export type LiveStatus = 'loading' | 'connecting' | 'live' | 'paused' | 'reconnecting' | 'offline';

const LOOK: Record<LiveStatus, { label: string; dot: string; text: string }> = {
  loading: { label: 'Connecting…', dot: 'bg-zinc-400', text: 'text-zinc-500 dark:text-zinc-400' },
  connecting: { label: 'Connecting…', dot: 'bg-amber-500', text: 'text-amber-700 dark:text-amber-400' },
  live: { label: 'Live', dot: 'bg-emerald-500', text: 'text-emerald-700 dark:text-emerald-400' },
  paused: { label: 'Paused', dot: 'bg-zinc-400', text: 'text-zinc-600 dark:text-zinc-300' },
  reconnecting: { label: 'Reconnecting…', dot: 'bg-amber-500 animate-pulse', text: 'text-amber-700 dark:text-amber-400' },
  offline: { label: 'Offline', dot: 'bg-rose-500', text: 'text-rose-700 dark:text-rose-400' },
};

/** The live stream's state, announced politely to screen readers when it changes. */
export function ConnectionStatus({ status }: { status: LiveStatus }) {
  const look = LOOK[status];
  return (
    <span
      role="status"
      data-testid="connection-status"
      data-state={status}
      className={cn(
        'inline-flex items-center gap-2 rounded-full border border-zinc-200 bg-white px-2.5 py-1 text-xs font-medium dark:border-zinc-800 dark:bg-zinc-900',
        look.text,
      )}
    >
      <span className="relative flex size-2">
        {status === 'live' && <span className="absolute inline-flex size-full animate-ping rounded-full bg-emerald-400 opacity-60" />}
        <span className={cn('relative inline-flex size-2 rounded-full', look.dot)} />
      </span>
      {look.label}
    </span>
  );
}
