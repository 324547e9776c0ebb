'use client';
/**
 * `/approvals`: pending approvals, split into those the signed-in person may decide and the rest (read
 * only), plus any that closed while the page was open. Pushed live; nothing polls. A page of cards at a
 * time ("Load more"), with search and filters (workflow, step, age, assigned to me) applied by the server.
 * Above them, agents asking a person for input (AgentQuestions).
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Button, Card, CardContent, cn, ErrorNote, Skeleton, Toasts } from '@/components/ui';
import { useActor } from '@/components/auth/useActor';
import { ConnectionStatus } from '@/components/timeline/ConnectionStatus';
import type { InboxFacets } from '@/server/approvals';
import { AgentQuestions } from './AgentQuestions';
import { ApprovalCard } from './ApprovalCard';
import { NO_FILTERS, useApprovalsInbox, type InboxCard, type InboxFilters } from './useApprovalsInbox';

const INPUT =
  'h-8 w-full rounded-md border border-zinc-200 bg-white px-2 text-sm text-zinc-900 placeholder:text-zinc-400 focus:border-indigo-500 focus:outline-none dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100';

/** How long typing pauses before the search is sent. */
const SEARCH_PAUSE_MS = 250;

/** The age choices: requested at least this long ago. */
const AGES: { label: string; ms: number | null }[] = [
  { label: 'Any age', ms: null },
  { label: 'Older than 1 hour', ms: 3_600_000 },
  { label: 'Older than 1 day', ms: 86_400_000 },
  { label: 'Older than 1 week', ms: 7 * 86_400_000 },
];

export function ApprovalsInbox() {
  const { actor, can, status } = useActor();
  if (status === 'loading') return <Loading />;
  // Agents' questions come first, for whoever is signed in (operators answer them).
  return (
    <div className="space-y-8">
      {actor && <AgentQuestions />}
      {!actor || !(can('approver') || can('auditor')) ? (
        <Card>
          <CardContent data-testid="approvals-not-allowed" className="py-10 text-center text-sm text-zinc-600 dark:text-zinc-400">
            The approvals inbox is for approvers and auditors. Ask an admin for one of these roles.
          </CardContent>
        </Card>
      ) : (
        <Inbox me={actor.name} />
      )}
      <Toasts />
    </div>
  );
}

function Inbox({ me }: { me: string }) {
  const [filters, setFilters] = useState<InboxFilters>(NO_FILTERS);
  // The search asks the server once typing pauses; the other filters at once.
  const [search, setSearch] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setSearch(filters.search), SEARCH_PAUSE_MS);
    return () => clearTimeout(t);
  }, [filters.search]);
  const applied = useMemo(() => ({ ...filters, search }), [filters, search]);
  const { cards, status, error, retry, dismiss, loaded, loadMore, facets, total, decidable, shown, hasMore, loadingMore } = useApprovalsInbox(applied);
  const mine = cards.filter((c) => c.open && c.item.canDecide);
  const others = cards.filter((c) => c.open && !c.item.canDecide);
  const closed = cards.filter((c) => !c.open);
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);

  return (
    <div data-testid="approvals-inbox" data-loaded={loaded ? 'true' : 'false'} data-total={total} data-shown={shown} className="space-y-8">
      <div className="space-y-3">
        <div className="flex flex-wrap items-center gap-3">
          <p data-testid="approvals-counts" className="text-sm text-zinc-600 dark:text-zinc-400">
            {loaded ? `${decidable} waiting for you · ${total - decidable} other pending${filtered ? ' (filtered)' : ''}` : 'Loading…'}
          </p>
          <span className="ml-auto" data-testid="approvals-live" data-state={status}>
            <ConnectionStatus status={status} />
          </span>
        </div>
        <Filters value={filters} onChange={setFilters} facets={facets} />
      </div>

      {error && (
        <div className="flex flex-wrap items-center gap-3">
          <div className="min-w-0 flex-1">
            <ErrorNote message={`${loaded ? 'Live updates stopped' : 'Could not load approvals'}: ${error.message}`} code={error.code} />
          </div>
          <Button size="sm" onClick={retry}>
            Try again
          </Button>
        </div>
      )}

      {!loaded && !error ? (
        <Loading />
      ) : (
        <>
          <Section
            title="Waiting for your decision"
            empty={filtered ? 'Nothing that waits for you matches these filters.' : 'Nothing waits for you. New approvals appear here the moment they are requested.'}
            cards={mine}
            me={me}
            testId="approvals-mine"
          />
          {others.length > 0 && <Section title="Other pending approvals" cards={others} me={me} testId="approvals-others" />}
          {hasMore && (
            <div className="flex items-center justify-center gap-3">
              <span className="text-xs text-zinc-500 tabular-nums dark:text-zinc-400">
                {shown} of {total} shown
              </span>
              <Button size="sm" variant="secondary" data-testid="approvals-load-more" onClick={loadMore} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Load more'}
              </Button>
            </div>
          )}
          {closed.length > 0 && (
            <Section
              title="Closed while you were watching"
              cards={closed}
              me={me}
              testId="approvals-closed"
              action={
                <Button size="sm" variant="ghost" onClick={() => dismiss(closed.map((c) => c.item.approvalId))}>
                  Clear
                </Button>
              }
            />
          )}
        </>
      )}
    </div>
  );
}

function Filters({ value, onChange, facets }: { value: InboxFilters; onChange: (f: InboxFilters) => void; facets: InboxFacets }) {
  const set = <K extends keyof InboxFilters>(k: K, v: InboxFilters[K]) => onChange({ ...value, [k]: v, ...(k === 'workflow' && { step: '' }) });
  const steps = facets.steps.filter((s) => !value.workflow || s.workflowSlug === value.workflow);
  // A chosen workflow or step stays selectable even when nothing of it is pending any more.
  const workflows = value.workflow && !facets.workflows.some((w) => w.slug === value.workflow) ? [...facets.workflows, { slug: value.workflow, count: 0 }] : facets.workflows;
  return (
    <form role="search" aria-label="Filter approvals" onSubmit={(e) => e.preventDefault()} className="flex flex-wrap items-center gap-2">
      <label className="relative min-w-[12rem] flex-1">
        <span className="sr-only">Search approvals</span>
        <input value={value.search} onChange={(e) => set('search', e.target.value)} placeholder="Search intent, workflow, step, requester…" className={INPUT} name="q" data-testid="approvals-search" />
      </label>
      <label className="w-44">
        <span className="sr-only">Workflow</span>
        <select value={value.workflow} onChange={(e) => set('workflow', e.target.value)} className={INPUT} name="workflow" data-testid="approvals-filter-workflow">
          <option value="">All workflows</option>
          {workflows.map((w) => (
            <option key={w.slug} value={w.slug}>
              {w.slug} ({w.count})
            </option>
          ))}
        </select>
      </label>
      <label className="w-44">
        <span className="sr-only">Step</span>
        <select value={value.step} onChange={(e) => set('step', e.target.value)} className={INPUT} name="step" data-testid="approvals-filter-step">
          <option value="">All steps</option>
          {[...new Map(steps.map((s) => [s.nodeId, s])).values()].map((s) => (
            <option key={s.nodeId} value={s.nodeId}>
              {s.nodeId} ({steps.filter((x) => x.nodeId === s.nodeId).reduce((n, x) => n + x.count, 0)})
            </option>
          ))}
          {value.step && !steps.some((s) => s.nodeId === value.step) && <option value={value.step}>{value.step} (0)</option>}
        </select>
      </label>
      <label className="w-40">
        <span className="sr-only">Age</span>
        <select
          value={value.olderThanMs === null ? '' : String(value.olderThanMs)}
          onChange={(e) => set('olderThanMs', e.target.value === '' ? null : Number(e.target.value))}
          className={INPUT}
          name="age"
          data-testid="approvals-filter-age"
        >
          {AGES.map((a) => (
            <option key={a.label} value={a.ms === null ? '' : String(a.ms)}>
              {a.label}
            </option>
          ))}
        </select>
      </label>
      <label className={cn('flex h-8 items-center gap-2 text-sm text-zinc-700 dark:text-zinc-300')}>
        <input type="checkbox" checked={value.assignedToMe} onChange={(e) => set('assignedToMe', e.target.checked)} name="assignedToMe" data-testid="approvals-filter-mine" />
        Assigned to me
      </label>
    </form>
  );
}

function Section({ title, cards, me, empty, testId, action }: { title: string; cards: InboxCard[]; me: string; empty?: string; testId: string; action?: ReactNode }) {
  return (
    <section aria-label={title} data-testid={testId} className="space-y-3">
      <div className="flex items-center gap-2">
        <h2 className="text-sm font-semibold tracking-tight">{title}</h2>
        <span className="text-xs text-zinc-500 tabular-nums dark:text-zinc-400">{cards.length}</span>
        {action && <span className="ml-auto">{action}</span>}
      </div>
      {cards.length === 0 && empty ? (
        <p className="rounded-xl border border-dashed border-zinc-300 px-5 py-8 text-center text-sm text-zinc-500 dark:border-zinc-700 dark:text-zinc-400">{empty}</p>
      ) : (
        cards.map((c) => <ApprovalCard key={c.item.approvalId} item={c.item} open={c.open} me={me} />)
      )}
    </section>
  );
}

function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading approvals" className="space-y-3">
      <Skeleton className="h-32 w-full rounded-xl" />
      <Skeleton className="h-32 w-full rounded-xl" />
    </div>
  );
}
