'use client';
/**
 * The designer's fork (issue 14 §3): try the published version on a run this workflow already made. The run
 * is forked at its end with that version, so every agent answer it recorded is taken as given (no agent or
 * model is called for them) and only what the version changed is decided again, or run live where it adds a
 * step. Opens the fork, whose page compares it with the run it came from.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Button, errorMessage, Field, denseInputClass } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';

const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : s < 129_600 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86_400)} d ago`;
};

export function ForkRecentRun({ workflowId, publishedVersion, onDone }: { workflowId: string; publishedVersion: number; onDone(): void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const runs = useQuery(trpc.runs.list.queryOptions({ workflowId, statuses: ['completed', 'failed'], limit: 20, withTotal: false }));
  const [picked, setPicked] = useState('');
  const fork = useMutation(
    trpc.runs.fork.mutationOptions({
      onSuccess: (r) => {
        onDone();
        router.push(`/runs/${encodeURIComponent(r.runId)}`);
      },
    }),
  );
  const rows = runs.data?.rows ?? [];
  const chosen = rows.find((r) => r.id === picked) ?? rows[0];
  return (
    <section aria-label="Try this version on a recorded run" className="space-y-2 border-t border-zinc-200 pt-3 dark:border-zinc-800" data-testid="fork-recent">
      <h3 className="text-sm font-medium">Or try version {publishedVersion} on a recorded run</h3>
      <p className="text-xs text-zinc-500">A fork of the run with this version: its recorded agent answers are reused (no agent is called for them), so only what the version changed is decided again.</p>
      {runs.isError ? (
        <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">{errorMessage(runs.error)}</p>
      ) : rows.length === 0 ? (
        <p className="text-xs text-zinc-500">{runs.isPending ? 'Loading runs…' : 'No ended run of this workflow yet.'}</p>
      ) : (
        <div className="flex flex-wrap items-end gap-2">
          <Field dense label="Run">
            <select aria-label="Recorded run" data-testid="fork-recent-run" value={chosen?.id ?? ''} onChange={(e) => setPicked(e.target.value)} className={`${denseInputClass} max-w-full`}>
              {rows.map((r) => (
                <option key={r.id} value={r.id}>
                  v{r.version} · {r.status} · {ago(r.startedAtMs)} · {r.id.slice(0, 8)}
                </option>
              ))}
            </select>
          </Field>
          <Button size="sm" data-testid="fork-recent-start" disabled={!chosen || fork.isPending} onClick={() => chosen && fork.mutate({ runId: chosen.id, atSeq: chosen.lastSeq, version: publishedVersion })}>
            {fork.isPending ? 'Forking…' : `Fork with v${publishedVersion}`}
          </Button>
        </div>
      )}
      {fork.error && (
        <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">
          {errorMessage(fork.error)}
        </p>
      )}
    </section>
  );
}
