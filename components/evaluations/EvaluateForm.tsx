'use client';
/**
 * "Evaluate…" on an agent's registry detail: re-run the last N completed runs of a workflow that calls the
 * agent with one of its versions (the candidate), then open the evaluation's page. The server checks
 * everything (unknown version, a workflow not calling the agent, N out of range) and answers with a reason
 * shown over the button; nothing is started then. Below it, this agent's earlier evaluations on the chosen
 * workflow, each a link to its page.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { Badge, ErrorNote, Field, inputClass, SubmitButton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';

export function EvaluateForm({ agent, versions, current }: { agent: string; versions: number[]; current: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const workflows = useQuery(trpc.evaluations.workflowsUsing.queryOptions({ agent }));
  const [workflowId, setWorkflowId] = useState('');
  const [version, setVersion] = useState(String(current));
  const [lastN, setLastN] = useState('50');
  const [allowSideEffects, setAllowSideEffects] = useState(false);
  const start = useMutation(trpc.evaluations.start.mutationOptions({ onSuccess: (r) => router.push(`/evaluations/${encodeURIComponent(r.evaluationId)}`) }));
  const chosen = workflowId || workflows.data?.[0]?.workflowId || '';
  const name = workflows.data?.find((w) => w.workflowId === chosen)?.name ?? 'the workflow';
  const earlier = useQuery(trpc.evaluations.list.queryOptions({ workflowId: chosen }, { enabled: chosen !== '' }));
  const mine = (earlier.data ?? []).filter((e) => e.agent === agent).slice(0, 5);

  function submit(e: FormEvent) {
    e.preventDefault();
    start.mutate({ workflowId: chosen, evaluation: { agent, version: Number(version), lastN: Number(lastN), allowSideEffects } });
  }

  if (workflows.isSuccess && workflows.data.length === 0) return <p className="text-xs text-zinc-500">No published workflow calls this agent yet: nothing to evaluate it on.</p>;
  return (
    <form onSubmit={submit} aria-label="Evaluate a version" className="grid gap-3" data-testid="evaluate-form">
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Workflow" htmlFor="evaluate-workflow">
          <select id="evaluate-workflow" value={chosen} onChange={(e) => setWorkflowId(e.target.value)} className={inputClass}>
            {(workflows.data ?? []).map((w) => (
              <option key={w.workflowId} value={w.workflowId}>
                {w.name} (v{w.version})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Version" htmlFor="evaluate-version">
          <select id="evaluate-version" value={version} onChange={(e) => setVersion(e.target.value)} className={inputClass}>
            {versions.map((v) => (
              <option key={v} value={v}>
                v{v}
                {v === current ? ' (current)' : ''}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Last N runs" htmlFor="evaluate-last-n" hint="1 to 200 completed runs.">
          <input id="evaluate-last-n" inputMode="numeric" value={lastN} onChange={(e) => setLastN(e.target.value)} className={inputClass} />
        </Field>
      </div>
      <label className="flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
        <input type="checkbox" checked={allowSideEffects} onChange={(e) => setAllowSideEffects(e.target.checked)} /> Allow side effects (agents flagged with side effects are called for real)
      </label>
      {start.isError && <ErrorNote testId="evaluate-error" error={start.error} />}
      <SubmitButton pending={start.isPending} pendingLabel="Starting…" testId="evaluate-submit">
        Evaluate v{version} on the last {lastN} runs of {name}
      </SubmitButton>
      {mine.length > 0 && (
        <ul className="space-y-1 text-xs" data-testid="earlier-evaluations" aria-label="Earlier evaluations">
          {mine.map((e) => (
            <li key={e.id} className="flex flex-wrap items-center gap-2">
              <Link href={`/evaluations/${encodeURIComponent(e.id)}`} className="text-indigo-700 hover:underline dark:text-indigo-300">
                v{e.version} on {e.summary.runs} runs, {new Date(e.startedAt).toLocaleString()}
              </Link>
              <Badge>{e.decision ? (e.decision.kind === 'shipped' ? 'shipped' : 'rolled back') : e.status}</Badge>
              <span className="text-zinc-500">
                {e.summary.sameOutcome} same · {e.summary.changed} changed · {e.summary.brokeContract} broke a contract
              </span>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
