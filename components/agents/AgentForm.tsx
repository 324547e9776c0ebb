'use client';
/**
 * Registering or changing an agent: name, kind, description and tags, the kind's own config fields (raw
 * JSON for a kind the form does not know), input/output JSON Schema and limits. Field errors show under
 * their field: the form's own (bad JSON, not a number) before sending, the server's after. An output schema
 * that breaks a published workflow reading the agent (409 `agent.schema_breaking`) is shown under the output
 * schema with each place, and "Change it anyway" sends it again with `force`.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ErrorNote, Field, inputClass, SubmitButton, toast } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { callError } from '@/components/ui/callError';
import { emptyDraft, fieldOfServerError, KIND_FIELDS, toDefinition, type AgentDraft } from './agentDraft';

const textareaClass = `${inputClass} h-auto min-h-20 py-2 font-mono text-xs`;

export function AgentForm({ initial, onDone }: { initial?: AgentDraft; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const editing = initial !== undefined;
  const kinds = useQuery(trpc.agents.kinds.queryOptions(undefined, { staleTime: Infinity }));
  const [d, setD] = useState<AgentDraft>(initial ?? emptyDraft());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [breaking, setBreaking] = useState<string[] | null>(null);
  const [force, setForce] = useState(false);
  const specs = KIND_FIELDS[d.kind];
  const known = new Set(['name', 'kind', 'description', 'capabilities', 'inputSchema', 'outputSchema', 'config', 'limits.timeoutMs', 'limits.concurrency', 'limits.ratePerMinute', ...(specs ?? []).map((f) => `config.${f.key}`)]);
  const done = async (verb: string, name: string) => {
    toast(`${verb} ${name}.`, { tone: 'success' });
    await queryClient.invalidateQueries(trpc.agents.pathFilter());
    onDone();
  };
  const failed = (e: unknown) => {
    const { message, code } = callError(e);
    if (code === 'agent.schema_breaking') {
      const places = (e as { data?: { error?: { details?: { breaking?: { message: string }[] } } } }).data?.error?.details?.breaking;
      setBreaking(places?.map((b) => b.message) ?? [message]);
      return setErrors({ outputSchema: 'This output schema breaks published workflows that read this agent.' });
    }
    const field = fieldOfServerError(message, known);
    if (field) setErrors({ [field]: message.replace(/^[A-Za-z0-9_.]+: /, '') });
  };
  const create = useMutation(trpc.agents.create.mutationOptions({ onSuccess: (a) => done('Registered', a.name), onError: failed }));
  const update = useMutation(trpc.agents.update.mutationOptions({ onSuccess: (a) => done('Saved', `${a.name} (version ${a.version})`), onError: failed }));
  const call = editing ? update : create;
  const set = (patch: Partial<AgentDraft>) => setD((x) => ({ ...x, ...patch }));
  const setField = (key: string, v: string) => setD((x) => ({ ...x, fields: { ...x.fields, [key]: v } }));
  const err = (k: string) => errors[k] ?? null;
  // A server refusal that names no field is shown over the button.
  const formError = call.isError && breaking === null && !fieldOfServerError(callError(call.error).message, known) ? call.error : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setBreaking(null);
    call.reset();
    const r = toDefinition(d);
    if (!r.ok) return setErrors(r.errors);
    if (editing) {
      const { name, ...patch } = r.definition;
      update.mutate({ name, patch: force ? { ...patch, force: true } : patch });
    } else create.mutate(r.definition);
  }

  return (
    <form onSubmit={submit} aria-label={editing ? 'Edit agent' : 'Add agent'} className="grid gap-4" data-testid="agent-form">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" htmlFor="agent-name" error={err('name')} hint="Lower-case letters, digits and dashes.">
          <input id="agent-name" required disabled={editing} value={d.name} onChange={(e) => set({ name: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
        <Field label="Kind" htmlFor="agent-kind" error={err('kind')}>
          <select id="agent-kind" value={d.kind} onChange={(e) => set({ kind: e.target.value, fields: e.target.value === 'openai' ? { output: 'text' } : {} })} className={inputClass}>
            {(kinds.data ?? [d.kind]).map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="Description" htmlFor="agent-description" error={err('description')}>
        <input id="agent-description" value={d.description} onChange={(e) => set({ description: e.target.value })} className={inputClass} />
      </Field>
      <Field label="Capabilities" htmlFor="agent-capabilities" error={err('capabilities')} hint="Free tags, comma-separated.">
        <input id="agent-capabilities" value={d.capabilities} onChange={(e) => set({ capabilities: e.target.value })} className={inputClass} placeholder="legal, summarize" />
      </Field>

      <fieldset className="grid gap-3 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
        <legend className="px-1 text-sm font-medium">Config ({d.kind})</legend>
        {specs ? (
          specs.map((f) => {
            const id = `agent-config-${f.key}`;
            const value = d.fields[f.key] ?? '';
            return (
              <Field key={f.key} label={f.label} htmlFor={id} hint={f.hint} error={err(`config.${f.key}`)}>
                {f.type === 'textarea' ? (
                  <textarea id={id} value={value} placeholder={f.placeholder} onChange={(e) => setField(f.key, e.target.value)} className={textareaClass} />
                ) : f.type === 'select' ? (
                  <select id={id} value={value} onChange={(e) => setField(f.key, e.target.value)} className={inputClass}>
                    {f.options!.map((o) => (
                      <option key={o}>{o}</option>
                    ))}
                  </select>
                ) : (
                  <input id={id} type={f.type === 'secret' ? 'password' : 'text'} inputMode={f.type === 'number' ? 'decimal' : undefined} autoComplete="off" value={value} placeholder={f.placeholder} onChange={(e) => setField(f.key, e.target.value)} className={inputClass} />
                )}
              </Field>
            );
          })
        ) : (
          <Field label="Config (JSON)" htmlFor="agent-config-raw" error={err('config')} hint="This kind’s config as a JSON object.">
            <textarea id="agent-config-raw" value={d.rawConfig} onChange={(e) => set({ rawConfig: e.target.value })} className={textareaClass} />
          </Field>
        )}
        {specs && err('config') && <ErrorNote message={err('config')!} />}
      </fieldset>

      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Input schema (JSON Schema)" htmlFor="agent-input-schema" error={err('inputSchema')} hint="Optional.">
          <textarea id="agent-input-schema" value={d.inputSchema} onChange={(e) => set({ inputSchema: e.target.value })} className={textareaClass} />
        </Field>
        <Field label="Output schema (JSON Schema)" htmlFor="agent-output-schema" error={err('outputSchema')} hint="Optional; the designer shows its fields.">
          <textarea id="agent-output-schema" value={d.outputSchema} onChange={(e) => set({ outputSchema: e.target.value })} className={textareaClass} />
        </Field>
      </div>
      <div className="grid gap-4 sm:grid-cols-3">
        <Field label="Timeout (ms)" htmlFor="agent-limit-timeout" error={err('limits.timeoutMs')}>
          <input id="agent-limit-timeout" inputMode="numeric" value={d.timeoutMs} onChange={(e) => set({ timeoutMs: e.target.value })} className={inputClass} />
        </Field>
        <Field label="Concurrency" htmlFor="agent-limit-concurrency" error={err('limits.concurrency')}>
          <input id="agent-limit-concurrency" inputMode="numeric" value={d.concurrency} onChange={(e) => set({ concurrency: e.target.value })} className={inputClass} />
        </Field>
        <Field label="Rate per minute" htmlFor="agent-limit-rate" error={err('limits.ratePerMinute')}>
          <input id="agent-limit-rate" inputMode="numeric" value={d.ratePerMinute} onChange={(e) => set({ ratePerMinute: e.target.value })} className={inputClass} />
        </Field>
      </div>
      {breaking && (
        <div data-testid="agent-schema-breaking" className="rounded-lg border border-rose-200 bg-rose-50 p-3 text-xs text-rose-800 dark:border-rose-900 dark:bg-rose-950 dark:text-rose-200">
          <p className="font-medium">These places read fields the new output schema removes or retypes:</p>
          <ul className="mt-1 list-disc pl-5">
            {breaking.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
          <label className="mt-2 flex items-center gap-2">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} data-testid="agent-force" /> Change it anyway (those workflows may break)
          </label>
        </div>
      )}
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" className="mt-1" checked={d.sideEffects} onChange={(e) => set({ sideEffects: e.target.checked })} data-testid="agent-side-effects" />
        <span>
          Has side effects <span className="text-xs text-zinc-500">(payments, bookings: a fork or an evaluation never calls it unless it allows side effects; it is answered from the recorded output instead)</span>
        </span>
      </label>
      {formError && <ErrorNote testId="agent-form-error" error={formError} />}
      <SubmitButton pending={call.isPending} pendingLabel={editing ? 'Saving…' : 'Registering…'} testId="agent-submit">
        {editing ? 'Save' : 'Register agent'}
      </SubmitButton>
    </form>
  );
}
