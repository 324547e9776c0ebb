'use client';
/**
 * The run list: status, workflow and version, who started it, entity key, duration and what it waits on,
 * filtered and sorted on the server, fifty to a page. Filters, sort and page live in the URL. The page is
 * refetched when a run event is pushed (throttled), so statuses change in place; durations of open runs
 * tick with the clock. Tick two runs to compare them side by side (app/runs/compare).
 */
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Badge, Button, Card, cn, Skeleton, Table, TableBody, TableHead, Th, useClock } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { ConnectionStatus } from '@/components/timeline/ConnectionStatus';
import { count, duration, shortId, shownDateTime } from '@/components/timeline/format';
import type { RunListRow } from '@/server/observability';
import { compareHref, PAGE, parseRunsUrl, runListInput, SORTS, STATUSES, type SortId } from './runsUrl';
import { RunStatusBadge } from './RunStatusBadge';
import { useLiveRefresh } from './useLiveRefresh';

const LIVE_TYPES = ['run.*', 'approval.*', 'task.*', 'timer.*'];
const INPUT = 'h-8 rounded-md border border-zinc-200 bg-white px-2 text-sm focus:border-indigo-500 focus:outline-none dark:border-zinc-800 dark:bg-zinc-900';

export function RunsTable() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const trpc = useTRPC();
  const search = params.toString();
  const q = useMemo(() => parseRunsUrl(new URLSearchParams(search)), [search]);
  const input = runListInput(q);
  const list = useQuery(trpc.runs.list.queryOptions(input, { placeholderData: keepPreviousData, staleTime: 5_000 }));
  const choices = useQuery(trpc.runs.filters.queryOptions(undefined, { staleTime: 30_000 }));
  const live = useLiveRefresh({ queryKey: trpc.runs.list.queryKey(), types: LIVE_TYPES, throttleMs: 500 });
  const now = useClock(1000, { start: list.data?.asOfMs });

  const set = (changes: Record<string, string | null>) => {
    const p = new URLSearchParams(search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === '') p.delete(k);
      else p.set(k, v);
    }
    if (!('page' in changes)) p.delete('page');
    const s = p.toString().replace(/%2C/gi, ',').replace(/%3A/gi, ':');
    router.replace(`${pathname}${s ? `?${s}` : ''}`, { scroll: false });
  };
  const sortBy = (id: SortId) => set({ sort: id === 'started' ? null : id, dir: q.sort === id && q.dir === 'desc' ? 'asc' : null });
  const toggleStatus = (s: string) => {
    const next = q.statuses.includes(s as never) ? q.statuses.filter((x) => x !== s) : [...q.statuses, s];
    set({ status: next.join(',') || null });
  };
  // Two runs ticked for Compare (ticking a third lets the first go).
  const [picked, setPicked] = useState<string[]>([]);
  const pick = (id: string, on: boolean) => setPicked((p) => (on ? [...p.filter((x) => x !== id), id].slice(-2) : p.filter((x) => x !== id)));
  const [text, setText] = useState({ key: q.key ?? '', by: q.startedBy ?? '', q: q.runId ?? '' });
  useEffect(() => setText({ key: q.key ?? '', by: q.startedBy ?? '', q: q.runId ?? '' }), [q.key, q.startedBy, q.runId]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    set({ key: text.key.trim() || null, by: text.by.trim() || null, q: text.q.trim() || null });
  };

  const stepLabels = useStepLabels(list.data?.rows ?? []);
  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const filtered = q.statuses.length > 0 || !!q.workflowId || !!q.key || !!q.startedBy || !!q.runId;

  return (
    <Card className="overflow-hidden">
      <header className="flex flex-wrap items-center gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
        <div>
          <h2 className="text-sm font-semibold">{filtered ? 'Matching runs' : 'All runs'}</h2>
          <p className="text-xs text-zinc-500 tabular-nums" data-testid="runs-count">
            {list.data ? `${count(total)} run${total === 1 ? '' : 's'}` : 'Loading…'}
          </p>
        </div>
        <div className="ml-auto">
          <ConnectionStatus status={list.isPending ? 'loading' : live} />
        </div>
      </header>
      <div className="space-y-2 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
        <div className="flex flex-wrap gap-1.5" role="group" aria-label="Status">
          {STATUSES.map((s) => (
            <button
              key={s}
              type="button"
              aria-pressed={q.statuses.includes(s)}
              onClick={() => toggleStatus(s)}
              className={cn(
                'rounded-full border px-2.5 py-0.5 text-xs capitalize',
                q.statuses.includes(s) ? 'border-indigo-500 bg-indigo-50 text-indigo-700 dark:bg-indigo-950/50 dark:text-indigo-300' : 'border-zinc-200 text-zinc-600 hover:border-zinc-300 dark:border-zinc-800 dark:text-zinc-400',
              )}
            >
              {s}
            </button>
          ))}
        </div>
        <form onSubmit={submit} className="flex flex-wrap items-center gap-2" aria-label="Filter runs">
          <select aria-label="Workflow" className={INPUT} value={q.workflowId ?? ''} onChange={(e) => set({ workflow: e.target.value || null })}>
            <option value="">Any workflow</option>
            {choices.data?.workflows.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name ?? w.slug ?? w.id} ({count(w.runs)})
              </option>
            ))}
          </select>
          <input aria-label="Run id" placeholder="Run id" className={cn(INPUT, 'w-36 font-mono')} value={text.q} onChange={(e) => setText((t) => ({ ...t, q: e.target.value }))} />
          <input aria-label="Entity key" placeholder="Entity key" className={cn(INPUT, 'w-32 font-mono')} value={text.key} onChange={(e) => setText((t) => ({ ...t, key: e.target.value }))} />
          <input aria-label="Started by" placeholder="Started by" list="run-starters" className={cn(INPUT, 'w-32')} value={text.by} onChange={(e) => setText((t) => ({ ...t, by: e.target.value }))} />
          <datalist id="run-starters">
            {choices.data?.starters.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          <Button type="submit" size="sm" variant="primary">
            Apply
          </Button>
          {filtered && (
            <Button type="button" size="sm" variant="ghost" onClick={() => router.replace(pathname)}>
              Clear
            </Button>
          )}
        </form>
      </div>

      {list.isError && (
        <div role="alert" className="flex items-center gap-3 border-b border-rose-200 bg-rose-50 px-4 py-2.5 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300">
          <span className="flex-1">Could not load runs: {list.error.message}</span>
          <Button size="sm" onClick={() => void list.refetch()}>
            Try again
          </Button>
        </div>
      )}

      {picked.length > 0 && (
        <div className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-4 py-2 text-xs dark:border-zinc-800" data-testid="runs-compare-bar">
          {picked.length === 2 ? (
            <Link href={compareHref(picked[0]!, picked[1]!)} className="inline-flex h-7 items-center rounded-md bg-indigo-600 px-2.5 font-medium text-white hover:bg-indigo-500" data-testid="runs-compare">
              Compare the two ticked runs
            </Link>
          ) : (
            <span className="text-zinc-500">Tick another run to compare it with this one.</span>
          )}
          <Button size="sm" variant="ghost" onClick={() => setPicked([])}>
            Clear
          </Button>
        </div>
      )}

      <div>
        <Table testId="runs-table">
          <TableHead>
            <Th className="px-4 py-2">Run</Th>
            <SortTh id="status" label="Status" q={q} onSort={sortBy} />
            <SortTh id="workflow" label="Workflow" q={q} onSort={sortBy} />
            <Th>Started by</Th>
            <Th>Key</Th>
            <SortTh id="started" label="Started" q={q} onSort={sortBy} />
            <SortTh id="duration" label="Duration" q={q} onSort={sortBy} right />
            <Th className="px-4 py-2">Waiting on</Th>
          </TableHead>
          <TableBody className={cn(list.isPlaceholderData && 'opacity-60')}>
            {list.isPending
              ? Array.from({ length: 8 }, (_, i) => (
                  <tr key={i}>
                    <td colSpan={8} className="px-4 py-2.5">
                      <Skeleton className="h-4 w-full" />
                    </td>
                  </tr>
                ))
              : list.data?.rows.map((r) => <Row key={r.id} r={r} now={now} stepLabels={stepLabels} picked={picked.includes(r.id)} onPick={(on) => pick(r.id, on)} />)}
          </TableBody>
        </Table>
        {list.data && list.data.rows.length === 0 && (
          <div className="px-6 py-14 text-center">
            <p className="text-sm font-medium">{filtered ? 'No run matches these filters' : 'No runs yet'}</p>
            <p className="mt-1 text-xs text-zinc-500">
              {filtered ? 'Clear a filter to see more.' : (
                <>
                  Runs appear here the moment they start. Start one from a <Link href="/workflows" className="underline">workflow</Link>.
                </>
              )}
            </p>
          </div>
        )}
      </div>
      {total > PAGE && (
        <nav aria-label="Pages" className="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-xs dark:border-zinc-800">
          <span className="text-zinc-500 tabular-nums">
            {count(q.page * PAGE + 1)}–{count(Math.min(total, (q.page + 1) * PAGE))} of {count(total)}
          </span>
          <div className="flex gap-1">
            <Button size="sm" variant="ghost" disabled={q.page === 0} onClick={() => set({ page: q.page > 1 ? String(q.page) : null })}>
              Previous
            </Button>
            <Button size="sm" variant="ghost" disabled={q.page + 1 >= pages} onClick={() => set({ page: String(q.page + 2) })}>
              Next
            </Button>
          </div>
        </nav>
      )}
    </Card>
  );
}

/** A header cell that sorts the list by its column (on the server), saying which way it sorts now. */
function SortTh({ id, label, q, onSort, right }: { id: SortId; label: string; q: { sort: SortId; dir: 'asc' | 'desc' }; onSort(id: SortId): void; right?: boolean }) {
  const active = q.sort === id;
  return (
    <Th right={right} aria-sort={active ? (q.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" onClick={() => onSort(id)} className={cn('inline-flex items-center gap-1 hover:text-zinc-900 dark:hover:text-zinc-100', active && 'text-zinc-900 dark:text-zinc-100')}>
        {label}
        <span aria-hidden className={cn('text-[10px]', !active && 'opacity-0')}>
          {q.dir === 'asc' ? '▲' : '▼'}
        </span>
      </button>
    </Th>
  );
}

function Row({ r, now, stepLabels, picked, onPick }: { r: RunListRow; now: number; stepLabels: StepLabels; picked: boolean; onPick(on: boolean): void }) {
  const open = r.endedAtMs === null;
  return (
    <tr data-testid="run-row" data-run-id={r.id} data-status={r.status} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
      <td className="px-4 py-2 whitespace-nowrap">
        <input type="checkbox" className="mr-2 align-middle" aria-label={`Tick run ${shortId(r.id)} to compare`} checked={picked} onChange={(e) => onPick(e.target.checked)} data-testid="run-pick" />
        <Link href={`/runs/${encodeURIComponent(r.id)}`} className="font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400" title={r.id}>
          {shortId(r.id)}
        </Link>
      </td>
      <td className="px-3 py-2">
        <RunStatusBadge status={r.status} />
      </td>
      <td className="px-3 py-2">
        <span className="font-medium">{r.workflowName ?? r.workflowSlug ?? shortId(r.workflowId)}</span>
        <span className="ml-1 text-xs text-zinc-500">v{r.version}</span>
      </td>
      <td className="px-3 py-2 text-zinc-600 dark:text-zinc-300">{r.startedBy ?? '—'}</td>
      <td className="max-w-[10rem] truncate px-3 py-2 font-mono text-xs text-zinc-500" title={r.key ?? undefined}>
        {r.key ?? '—'}
      </td>
      <td className="px-3 py-2 text-xs whitespace-nowrap text-zinc-500 tabular-nums">{shownDateTime(r.startedAtMs)}</td>
      <td className="px-3 py-2 text-right font-mono text-xs tabular-nums">{duration((r.endedAtMs ?? now) - r.startedAtMs)}</td>
      <td className="px-4 py-2">
        <div className="flex flex-wrap gap-1">
          {r.waitingOn.length === 0 ? (
            <span className="text-xs text-zinc-400">{open ? '—' : ''}</span>
          ) : (
            r.waitingOn.map((w) => (
              <Badge key={`${w.kind}:${w.label}`} tone={w.kind === 'approval' ? 'warning' : w.kind === 'agent' ? 'info' : 'neutral'} title={`${w.kind} ${w.label}`} data-testid="run-waiting-on">
                <span className="opacity-70">{w.kind}</span> {((w.kind === 'approval' || w.kind === 'timer') && stepLabels.get(`${r.workflowId}@${r.version}`)?.get(w.label)) || w.label}
              </Badge>
            ))
          )}
          {r.status === 'failed' && r.error && (
            <span className="max-w-[14rem] truncate text-xs text-rose-600 dark:text-rose-400" title={r.error}>
              {r.error}
            </span>
          )}
        </div>
      </td>
    </tr>
  );
}

/** Step labels by node id, per `${workflowId}@${version}`. */
type StepLabels = ReadonlyMap<string, ReadonlyMap<string, string>>;

/**
 * The labels of the steps runs on this page wait on ("Contract approval", not `contract-approval`), from
 * the versions they run (immutable, so fetched once each and kept).
 */
function useStepLabels(rows: readonly RunListRow[]): StepLabels {
  const trpc = useTRPC();
  const versions = [...new Set(rows.filter((r) => r.waitingOn.some((w) => w.kind === 'approval' || w.kind === 'timer')).map((r) => `${r.workflowId}@${r.version}`))];
  const results = useQueries({
    queries: versions.map((v) => {
      const at = v.lastIndexOf('@');
      return trpc.workflows.version.queryOptions({ id: v.slice(0, at), version: Number(v.slice(at + 1)) }, { staleTime: Infinity, retry: false });
    }),
  });
  const out = new Map<string, Map<string, string>>();
  results.forEach((q, i) => {
    if (!q.data) return;
    out.set(versions[i]!, new Map(q.data.document.nodes.flatMap((n) => (n.label?.trim() ? [[n.id, n.label.trim()] as const] : []))));
  });
  return out;
}
