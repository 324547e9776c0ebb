'use client';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { outputFields } from '@/components/agents/agentDraft';
import { ON_STALE } from '@/server/workflows/schema';
import { DurationField, NumberField, SelectField, TextField } from '../fields';
import { MappingEditor } from '../MappingEditor';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

const STALE_LABELS: Record<(typeof ON_STALE)[number], string> = {
  rerun: 'Run it again on the new envelope',
  accept: 'Accept the result anyway',
  fail: 'Fail the node',
};

export function AgentForm({ id, config, fieldProblems }: FormProps<'agent'>) {
  const trpc = useTRPC();
  const agents = useQuery(trpc.agents.list.queryOptions(undefined, { staleTime: 60_000 }));
  const f = useConfigForm(id, 'agent', config);
  const err = (p: string) => f.issues[p] ?? fieldProblems[p] ?? null;
  const retry = (f.draft.retry ?? config.retry) as typeof config.retry;
  const setRetry = (patch: Partial<typeof config.retry>, field: string) => f.set({ retry: { ...retry, ...patch } }, `retry.${field}`);
  const current = String(f.draft.agent ?? '');
  const list = agents.data ?? [];
  const known = list.some((a) => a.name === current);
  const chosen = list.find((a) => a.name === current);
  const inputErrors = Object.fromEntries(Object.entries(fieldProblems).filter(([k]) => k.startsWith('input.')).map(([k, v]) => [k.slice('input.'.length), v]));
  return (
    <div className="space-y-3">
      <SelectField
        label="Agent"
        testId="agent-picker"
        value={current}
        error={err('agent')}
        hint={chosen ? `${chosen.kind} v${chosen.version}${chosen.description ? ` · ${chosen.description}` : ''}` : agents.isPending ? 'Loading the registry…' : `${list.length} agents in the registry`}
        onChange={(agent) => f.set({ agent }, 'agent')}
        options={[
          { value: '', label: '— Choose an agent —' },
          ...(current && !known && !agents.isPending ? [{ value: current, label: `${current} (not in the registry)` }] : []),
          ...list.map((a) => ({ value: a.name, label: a.description ? `${a.name} — ${a.description.length > 48 ? `${a.description.slice(0, 47)}…` : a.description}` : a.name })),
        ]}
      />
      {chosen && outputFields(chosen.outputSchema).length > 0 && (
        <p className="text-[11px] text-zinc-500 dark:text-zinc-400" data-testid="agent-output-fields">
          Output: <span className="font-mono">{outputFields(chosen.outputSchema).join(', ')}</span>
        </p>
      )}
      <MappingEditor
        label="Input"
        testId="agent-input-mapping"
        value={f.draft.input as Record<string, string> | undefined}
        onChange={(input) => f.set({ input }, 'input')}
        emptyHint="No mapping: the agent receives the run input as is."
        errorsByKey={inputErrors}
      />
      <TextField label="Also write the output to" mono placeholder="state key (optional)" value={String(f.draft.outputKey ?? '')} onChange={(v) => f.set({ outputKey: v || undefined }, 'outputKey')} error={err('outputKey')} hint={`The output is always in results${/^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? `.${id}` : `["${id}"]`}.`} />
      <DurationField label="Timeout per attempt" value={config.timeoutMs} onChange={(ms) => f.set({ timeoutMs: ms }, 'timeoutMs')} error={err('timeoutMs')} testId="agent-timeout" />
      <div className="grid grid-cols-2 gap-2">
        <NumberField label="Attempts" min={1} max={20} value={retry.maxAttempts} onChange={(n) => setRetry({ maxAttempts: n as number }, 'maxAttempts')} error={err('retry.maxAttempts')} />
        <NumberField label="Backoff ×" min={1} max={10} step={0.5} value={retry.backoffMultiplier} onChange={(n) => setRetry({ backoffMultiplier: n as number }, 'backoffMultiplier')} error={err('retry.backoffMultiplier')} />
        <DurationField label="First backoff" value={config.retry.initialBackoffMs} onChange={(ms) => setRetry({ initialBackoffMs: ms as number }, 'initialBackoffMs')} error={err('retry.initialBackoffMs')} hint=" " />
        <DurationField label="Longest backoff" value={config.retry.maxBackoffMs} onChange={(ms) => setRetry({ maxBackoffMs: ms as number }, 'maxBackoffMs')} error={err('retry.maxBackoffMs')} hint=" " />
      </div>
      <NumberField label="Jitter (0–1)" min={0} max={1} step={0.05} value={retry.jitter} onChange={(n) => setRetry({ jitter: n as number }, 'jitter')} error={err('retry.jitter')} />
      <SelectField label="When the envelope changed while it worked" value={(f.draft.onStale ?? 'rerun') as (typeof ON_STALE)[number]} onChange={(onStale) => f.set({ onStale }, 'onStale')} options={ON_STALE.map((v) => ({ value: v, label: STALE_LABELS[v] }))} />
    </div>
  );
}
