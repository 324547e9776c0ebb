'use client';
/**
 * "Fork…" on a run page (operators): a new run of the same workflow that takes this run's recorded agent
 * outputs before the chosen step as given (no agent called for them) and runs live from there; agents ticked
 * as live are called again (the one whose new version is being tried), and the input may be changed (JSON,
 * parsed before it is sent). Agents with side effects are held (answered from the record) unless "allow
 * side effects" is ticked. Opens the fork when it starts.
 */
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Button, ErrorNote } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { SpineEvent } from '@/server/spine/events';

export function ForkButton({ runId, events, labelOf }: { runId: string; events: readonly SpineEvent[]; labelOf: (nodeId: string) => string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const last = events.at(-1);
  const dispatches = events.filter((e) => e.type === 'task.dispatched');
  const agents = [...new Set(dispatches.map((e) => (e.payload as { agent: string }).agent))];
  // "The end" follows the run: the latest event when the fork is asked for, not when the form opened.
  const [choice, setChoice] = useState<'end' | number>('end');
  const [live, setLive] = useState<string[]>([]);
  const [allowSideEffects, setAllowSideEffects] = useState(false);
  const originInput = JSON.stringify((events.find((e) => e.type === 'run.started')?.payload as { input?: unknown } | undefined)?.input ?? null, null, 2);
  const [inputText, setInputText] = useState<string | null>(null);
  const [inputError, setInputError] = useState<string | null>(null);
  const fork = useMutation(trpc.runs.fork.mutationOptions({ onSuccess: (r) => router.push(`/runs/${encodeURIComponent(r.runId)}`) }));
  if (!last) return null;
  if (!open)
    return (
      <Button size="sm" onClick={() => setOpen(true)} data-testid="fork-open">
        Fork…
      </Button>
    );
  return (
    <form
      className="flex flex-wrap items-center gap-1.5 rounded-md border border-zinc-200 p-1.5 dark:border-zinc-800"
      aria-label="Fork this run"
      onSubmit={(e) => {
        e.preventDefault();
        // Sent only when changed; untrusted text is parsed, and nothing is sent when it is not JSON.
        let input: unknown;
        if (inputText !== null && inputText.trim() !== originInput.trim()) {
          try {
            input = JSON.parse(inputText);
          } catch (err) {
            setInputError(`The input is not JSON: ${(err as Error).message}`);
            return;
          }
        }
        setInputError(null);
        fork.mutate({ runId, atSeq: choice === 'end' ? last.seq : choice, ...(input !== undefined && { input }), ...(live.length > 0 && { liveAgents: live }), ...(allowSideEffects && { allowSideEffects }) });
      }}
    >
      <label className="flex items-center gap-1 text-xs">
        From
        <select aria-label="Fork point" value={String(choice)} onChange={(e) => setChoice(e.target.value === 'end' ? 'end' : Number(e.target.value))} className="h-8 rounded-md border border-zinc-200 bg-white px-1 text-xs dark:border-zinc-800 dark:bg-zinc-900">
          <option value="end">the end (reuse every output)</option>
          {dispatches.map((d) => (
            <option key={d.seq} value={d.seq}>
              step {labelOf((d.payload as { nodeId: string }).nodeId)} (#{d.seq})
            </option>
          ))}
        </select>
      </label>
      {agents.length > 0 && (
        <fieldset className="flex flex-wrap items-center gap-1.5 text-xs">
          <legend className="sr-only">Agents to call again</legend>
          <span className="text-zinc-500">call again:</span>
          {agents.map((a) => (
            <label key={a} className="flex items-center gap-0.5">
              <input type="checkbox" checked={live.includes(a)} onChange={(e) => setLive((l) => (e.target.checked ? [...l, a] : l.filter((x) => x !== a)))} />
              <span className="font-mono">{a}</span>
            </label>
          ))}
        </fieldset>
      )}
      {inputText === null ? (
        <Button size="sm" variant="ghost" onClick={() => setInputText(originInput)} data-testid="fork-change-input">
          Change input…
        </Button>
      ) : (
        <label className="flex w-full flex-col gap-1 text-xs">
          Input (JSON)
          <textarea
            aria-label="Fork input"
            data-testid="fork-input"
            value={inputText}
            onChange={(e) => setInputText(e.target.value)}
            rows={Math.min(8, inputText.split('\n').length + 1)}
            spellCheck={false}
            className="w-full rounded-md border border-zinc-200 bg-white px-2 py-1 font-mono text-xs dark:border-zinc-800 dark:bg-zinc-900"
          />
        </label>
      )}
      {inputError && (
        <p role="alert" className="w-full text-xs text-rose-700 dark:text-rose-300">
          {inputError}
        </p>
      )}
      <label className="flex items-center gap-0.5 text-xs" title="Agents flagged with side effects (payments, bookings) are otherwise answered from this run's recorded output, never called">
        <input type="checkbox" checked={allowSideEffects} onChange={(e) => setAllowSideEffects(e.target.checked)} data-testid="fork-allow-side-effects" /> allow side effects
      </label>
      <Button size="sm" type="submit" variant="primary" disabled={fork.isPending} data-testid="fork-submit">
        {fork.isPending ? 'Forking…' : 'Fork'}
      </Button>
      <Button size="sm" variant="ghost" onClick={() => setOpen(false)}>
        Close
      </Button>
      {fork.isError && <ErrorNote error={fork.error} />}
    </form>
  );
}
