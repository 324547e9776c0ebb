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
        hint={chosen ? undefined : agents.isPending ? 'Loading the registry…' : `${list.length} agents in the registry`}
        onChange={(agent) => f.set({ agent }, 'agent')}
        options={[
          { value: '', label: '— Choose an agent —' },
          ...(current && !known && !agents.isPending ? [{ value: current, label: `${current} (not in the registry)` }] : []),
          ...list.map((a) => ({ value: a.name, label: a.description ? `${a.name} — ${a.description.length > 48 ? `${a.description.slice(0, 47)}…` : a.description}` : a.name })),
        ]}
      />
      {chosen && <AgentSummary nodeId={id} agent={chosen} />}
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

type FieldInfo = { name: string; type: string | null; description: string | null };

/** The properties of an object output schema with their JSON Schema type and description, in declared order. */
function outputFieldInfo(schema: unknown): FieldInfo[] {
  const props = (schema as { properties?: Record<string, unknown> } | null)?.properties ?? {};
  return outputFields(schema).map((name) => {
    const p = (props[name] ?? {}) as { type?: unknown; enum?: unknown; description?: unknown };
    const type = Array.isArray(p.enum) ? p.enum.map((v) => JSON.stringify(v)).join(' | ') : Array.isArray(p.type) ? p.type.join(' | ') : typeof p.type === 'string' ? p.type : null;
    return { name, type, description: typeof p.description === 'string' ? p.description : null };
  });
}

/**
 * What the chosen agent is and what it returns, from the registry: name, kind and version, its
 * description, and the fields of its output schema with the expression that reads each, so a router's
 * condition can be written without reading the agent's source.
 */
function AgentSummary({ nodeId, agent }: { nodeId: string; agent: { name: string; kind: string; version: number; description?: string | null; outputSchema?: unknown } }) {
  const fields = outputFieldInfo(agent.outputSchema);
  const base = /^[A-Za-z_][A-Za-z0-9_]*$/.test(nodeId) ? `results.${nodeId}` : `results["${nodeId}"]`;
  return (
    <div className="rounded-md border border-zinc-200 bg-zinc-50 px-2.5 py-2 text-[11px] dark:border-zinc-800 dark:bg-zinc-900" data-testid="agent-summary">
      <p className="flex items-baseline gap-1.5">
        <span className="font-medium text-zinc-800 dark:text-zinc-200" data-testid="agent-summary-name">
          {agent.name}
        </span>
        <span className="text-zinc-500">
          {agent.kind} v{agent.version}
        </span>
      </p>
      {agent.description && <p className="mt-0.5 text-zinc-600 dark:text-zinc-400">{agent.description}</p>}
      {fields.length > 0 ? (
        <div className="mt-1.5" data-testid="agent-output-fields">
          <p className="text-zinc-500">Returns (read as {base}.&lt;field&gt;):</p>
          <ul className="mt-0.5 space-y-0.5">
            {fields.map((f) => (
              <li key={f.name} data-testid="agent-output-field" title={f.description ?? undefined}>
                <span className="font-mono text-zinc-800 dark:text-zinc-200">{f.name}</span>
                {f.type && <span className="ml-1 font-mono text-zinc-500">{f.type}</span>}
                {f.description && <span className="ml-1 text-zinc-500">· {f.description}</span>}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="mt-1 text-zinc-500">The registry declares no output fields for this agent.</p>
      )}
    </div>
  );
}
