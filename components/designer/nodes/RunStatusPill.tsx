import { cn } from '@/components/ui';
import type { NodeRunState } from '../store';

const LOOK: Record<NodeRunState['status'], { label: string; className: string }> = {
  pending: { label: 'pending', className: 'bg-zinc-100 text-zinc-500 dark:bg-zinc-800 dark:text-zinc-400' },
  running: { label: 'running', className: 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300' },
  waiting: { label: 'waiting', className: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300' },
  done: { label: 'done', className: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300' },
  failed: { label: 'failed', className: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300' },
  skipped: { label: 'skipped', className: 'bg-zinc-100 text-zinc-500 dark:bg-zinc-800 dark:text-zinc-400' },
};

/** A node's state in a run: pending, running, waiting (for a person or a timer), done, failed, skipped. */
export function RunStatusPill({ state }: { state: NodeRunState }) {
  const look = LOOK[state.status];
  return (
    <span
      data-testid="node-run-status"
      title={state.error ?? (state.attempts && state.attempts > 1 ? `attempt ${state.attempts}` : undefined)}
      className={cn('inline-flex items-center gap-1 rounded-full px-1.5 text-[9px] leading-4 font-semibold', look.className)}
    >
      {state.status === 'running' && <span className="size-2 animate-spin rounded-full border border-current border-t-transparent" />}
      {state.status === 'done' && '✓'}
      {state.status === 'failed' && '✕'}
      {look.label}
      {state.attempts !== undefined && state.attempts > 1 && <span className="opacity-70">×{state.attempts}</span>}
    </span>
  );
}
