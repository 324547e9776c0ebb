'use client';
/**
 * The timeline's filter form. Applying it writes the URL (the page reads the filter from there), so a
 * filtered view can be bookmarked and shared.
 */
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Button, cn } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { SOURCE_KINDS } from '@/server/spine/events';
import type { TimelineFilter } from '@/server/observability';
import { isFiltered, parseInstant, toLocalInput } from './filters';

const INPUT =
  'h-8 w-full rounded-md border border-zinc-200 bg-white px-2 text-sm text-zinc-900 placeholder:text-zinc-400 focus:border-indigo-500 focus:outline-none dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100';

type Draft = { type: string; run: string; workflow: string; key: string; agent: string; source: string; from: string; to: string; q: string };

function draftOf(f: TimelineFilter): Draft {
  return {
    type: f.types?.join(', ') ?? '', run: f.runId ?? '', workflow: f.workflowId ?? '', key: f.key ?? '', agent: f.agent ?? '', source: f.sourceKind ?? '',
    from: f.fromMs !== undefined ? toLocalInput(f.fromMs) : '', to: f.toMs !== undefined ? toLocalInput(f.toMs) : '', q: f.text ?? '',
  };
}

/** The form's draft as URL parameters (validated again when the page parses them). */
function paramsOf(d: Draft): URLSearchParams {
  const p = new URLSearchParams();
  const types = d.type.split(',').map((t) => t.trim()).filter(Boolean).join(',');
  if (types) p.set('type', types);
  if (d.run.trim()) p.set('run', d.run.trim());
  if (d.workflow) p.set('workflow', d.workflow);
  if (d.key.trim()) p.set('key', d.key.trim());
  if (d.agent.trim()) p.set('agent', d.agent.trim());
  if (d.source) p.set('source', d.source);
  const from = parseInstant(d.from);
  const to = parseInstant(d.to);
  if (from !== null) p.set('from', new Date(from).toISOString());
  if (to !== null) p.set('to', new Date(to).toISOString());
  if (d.q.trim()) p.set('q', d.q.trim());
  return p;
}

export function TimelineFilters({ filter, problems, onApply }: { filter: TimelineFilter; problems: string[]; onApply(params: URLSearchParams): void }) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState<Draft>(() => draftOf(filter));
  const [open, setOpen] = useState(isFiltered(filter));
  const choices = useQuery(trpc.runs.filters.queryOptions(undefined, { staleTime: 60_000, enabled: open }));
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(paramsOf(draft));
  };
  const clear = () => {
    setDraft(draftOf({}));
    onApply(new URLSearchParams());
  };
  return (
    <form onSubmit={submit} role="search" aria-label="Filter events" className="border-b border-zinc-200 dark:border-zinc-800">
      <div className="flex flex-wrap items-center gap-2 px-4 py-3">
        <label className="relative min-w-[12rem] flex-1">
          <span className="sr-only">Search payloads, types, keys and sources</span>
          <input value={draft.q} onChange={set('q')} placeholder="Search payloads, types, keys…" className={INPUT} name="q" />
        </label>
        <label className="w-48">
          <span className="sr-only">Event types</span>
          <input value={draft.type} onChange={set('type')} placeholder="Types: task.*, run.completed" className={cn(INPUT, 'font-mono')} name="type" />
        </label>
        <Button type="button" size="sm" variant="ghost" aria-expanded={open} aria-controls="timeline-more-filters" onClick={() => setOpen((o) => !o)}>
          {open ? 'Fewer filters' : 'More filters'}
        </Button>
        <Button type="submit" size="sm" variant="primary">
          Apply
        </Button>
        {isFiltered(filter) && (
          <Button type="button" size="sm" variant="ghost" onClick={clear}>
            Clear
          </Button>
        )}
      </div>
      {open && (
        <div id="timeline-more-filters" className="grid grid-cols-2 gap-x-3 gap-y-2 px-4 pb-3 sm:grid-cols-4">
          <Labeled label="Run">
            <input value={draft.run} onChange={set('run')} placeholder="Run id" className={cn(INPUT, 'font-mono')} name="run" />
          </Labeled>
          <Labeled label="Workflow">
            <select value={draft.workflow} onChange={set('workflow')} className={INPUT} name="workflow">
              <option value="">Any workflow</option>
              {choices.data?.workflows.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name ?? w.slug ?? w.id}
                </option>
              ))}
              {draft.workflow && !choices.data?.workflows.some((w) => w.id === draft.workflow) && <option value={draft.workflow}>{draft.workflow}</option>}
            </select>
          </Labeled>
          <Labeled label="Entity key">
            <input value={draft.key} onChange={set('key')} placeholder="e.g. case:17" className={cn(INPUT, 'font-mono')} name="key" />
          </Labeled>
          <Labeled label="Agent">
            <input value={draft.agent} onChange={set('agent')} placeholder="e.g. summarizer" className={INPUT} name="agent" />
          </Labeled>
          <Labeled label="Source kind">
            <select value={draft.source} onChange={set('source')} className={INPUT} name="source">
              <option value="">Any source</option>
              {SOURCE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </Labeled>
          <Labeled label="From">
            <input type="datetime-local" step="1" value={draft.from} onChange={set('from')} className={INPUT} name="from" />
          </Labeled>
          <Labeled label="To">
            <input type="datetime-local" step="1" value={draft.to} onChange={set('to')} className={INPUT} name="to" />
          </Labeled>
        </div>
      )}
      {problems.length > 0 && (
        <ul role="alert" className="space-y-0.5 border-t border-amber-200 bg-amber-50 px-4 py-2 text-xs text-amber-900 dark:border-amber-900/60 dark:bg-amber-950/40 dark:text-amber-200">
          {problems.map((p) => (
            <li key={p}>Ignored: {p}</li>
          ))}
        </ul>
      )}
    </form>
  );
}

function Labeled({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="block">
      <span className="mb-0.5 block text-xs text-zinc-500 dark:text-zinc-400">{label}</span>
      {children}
    </label>
  );
}
