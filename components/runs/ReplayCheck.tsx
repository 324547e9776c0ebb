'use client';
/**
 * "Replays identically": the run folded again from its log alone, every engine decision re-decided with the
 * recorded inputs (server/engine/replay.ts). Checked once the run has ended; a mismatch names the first
 * differing event and links to its reasoning path.
 */
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { cn } from '@/components/ui/cn';

export function ReplayCheck({ runId, ended }: { runId: string; ended: boolean }) {
  const trpc = useTRPC();
  // Mounted again when a reopened run ends again: the check runs again then.
  const q = useQuery({ ...trpc.runs.replay.queryOptions({ runId }), enabled: ended, refetchOnWindowFocus: false });
  if (!ended) return null;
  const base = 'inline-flex h-8 items-center gap-1.5 rounded-md border px-2.5 text-xs font-medium';
  if (q.isPending) return <span className={cn(base, 'border-zinc-200 text-zinc-500 dark:border-zinc-800')} data-testid="run-replay">Checking replay…</span>;
  if (q.isError) return <span className={cn(base, 'border-zinc-200 text-zinc-500 dark:border-zinc-800')} data-testid="run-replay" title={q.error.message}>Replay not checked</span>;
  const v = q.data;
  if (v.identical) {
    return (
      <span className={cn(base, 'border-emerald-200 bg-emerald-50 text-emerald-800 dark:border-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-300')} data-testid="run-replay" data-identical="true" title={`Folded again from the log alone: ${v.decisions} engine decisions re-decided as recorded, ${v.inputs} inputs (start, agent results, timers, people's commands) taken as given.`}>
        <span aria-hidden>✓</span> Replays identically
      </span>
    );
  }
  const m = v.mismatch!;
  return (
    <Link href={`/runs/${encodeURIComponent(runId)}/path/${m.seq}`} className={cn(base, 'border-red-200 bg-red-50 text-red-800 hover:underline dark:border-red-900 dark:bg-red-950/40 dark:text-red-300')} data-testid="run-replay" data-identical="false" title={`${m.type} at seq ${m.seq}: ${m.reason}`}>
      <span aria-hidden>✗</span> Replay differs at #{m.seq}: {m.reason}
    </Link>
  );
}
