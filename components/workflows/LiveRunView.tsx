'use client';
/**
 * A run on its workflow's canvas, live (`/workflows/[id]/runs/[runId]`): the version the run started on,
 * read-only, every node showing its state as the run's events arrive by push.
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo } from 'react';
import { Badge, type BadgeTone, Skeleton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { RunCanvas } from '@/components/designer/RunCanvas';
import { useLiveRunStates } from '@/components/designer/useLiveRunStates';
import type { RunStates } from '@/server/api/routers/workflows';

const RUN_TONE: Record<RunStates['status'], BadgeTone> = { running: 'info', waiting: 'warning', completed: 'success', failed: 'danger', cancelled: 'neutral' };
const ORDER = ['running', 'waiting', 'done', 'failed', 'skipped', 'pending'] as const;

export function LiveRunView({ workflowId, runId }: { workflowId: string; runId: string }) {
  const trpc = useTRPC();
  const { run, connection, error } = useLiveRunStates(runId);
  const workflow = useQuery(trpc.workflows.get.queryOptions({ id: workflowId }, { staleTime: 60_000 }));
  const version = useQuery({ ...trpc.workflows.version.queryOptions({ id: run?.workflowId ?? workflowId, version: run?.version ?? 1 }), enabled: run !== null, staleTime: Infinity });
  const counts = useMemo(() => {
    const c: Partial<Record<(typeof ORDER)[number], number>> = {};
    for (const n of run?.nodes ?? []) c[n.status] = (c[n.status] ?? 0) + 1;
    return c;
  }, [run]);

  return (
    <div className="fixed inset-x-0 top-[57px] bottom-0 z-10 flex flex-col bg-zinc-50 dark:bg-zinc-950" data-testid="live-run" data-run-status={run?.status} data-connection={connection}>
      <header className="flex min-h-12 shrink-0 flex-wrap items-center gap-x-3 gap-y-1 border-b border-zinc-200 bg-white px-4 py-2 dark:border-zinc-800 dark:bg-zinc-900">
        <Link href="/workflows" className="text-sm text-zinc-500 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100">
          Workflows
        </Link>
        <span className="text-zinc-300 dark:text-zinc-700">/</span>
        <Link href={`/workflows/${workflowId}`} className="max-w-56 truncate text-sm font-medium hover:underline">
          {workflow.data?.name ?? workflowId}
        </Link>
        <span className="text-zinc-300 dark:text-zinc-700">/</span>
        <span className="font-mono text-xs text-zinc-500">run {runId.slice(0, 8)}</span>
        {run && (
          <Badge tone={RUN_TONE[run.status]} data-testid="run-status">
            {run.status}
            {run.waitingOn.length > 0 ? ` on ${run.waitingOn.map((w) => w.id).join(', ')}` : ''}
          </Badge>
        )}
        {run && <span className="text-xs text-zinc-500">version {run.version}</span>}
        <span className="flex flex-wrap gap-2 text-xs text-zinc-600 dark:text-zinc-400" data-testid="run-counts">
          {ORDER.filter((s) => counts[s]).map((s) => (
            <span key={s}>
              {counts[s]} {s}
            </span>
          ))}
        </span>
        <span className="ml-auto flex items-center gap-3 text-xs">
          <span role="status" className={connection === 'error' ? 'text-rose-600' : connection === 'live' ? 'text-emerald-700 dark:text-emerald-400' : 'text-zinc-500'}>
            {connection === 'live' ? '● Live' : connection === 'ended' ? 'Finished' : connection === 'reconnecting' ? 'Reconnecting…' : connection === 'loading' ? 'Connecting…' : 'Offline'}
          </span>
          <Link href={`/runs/${runId}`} className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">
            Events and envelope →
          </Link>
        </span>
      </header>
      {error && (
        <p role="alert" className="border-b border-rose-200 bg-rose-50 px-4 py-2 text-sm text-rose-800 dark:border-rose-900 dark:bg-rose-950 dark:text-rose-200">
          {error}
        </p>
      )}
      {run?.error && (
        <p role="alert" className="border-b border-rose-200 bg-rose-50 px-4 py-2 text-sm text-rose-800 dark:border-rose-900 dark:bg-rose-950 dark:text-rose-200">
          Failed: {run.error.reason}
        </p>
      )}
      <div className="min-h-0 flex-1">{run && version.data ? <RunCanvas document={version.data.document} nodeStates={run.nodes} /> : <Skeleton className="m-4 h-[calc(100%-2rem)]" />}</div>
    </div>
  );
}
