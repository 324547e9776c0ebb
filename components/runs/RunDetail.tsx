'use client';
/**
 * One run, its one page (`/runs/[runId]`; `/workflows/[id]/runs/[runId]` redirects here): its workflow
 * graph with live node states and their counts, the waterfall of its steps, its context envelope's
 * versions with a diff between any two, and its events. The page is refetched (throttled) whenever an
 * event of the run is pushed, so node states change in place. Operators may cancel the run, retry a
 * failed node and fork it; a fork links to its origin and the origin to its forks, each with Compare.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Badge, Button, Card, LoadFailed, CardDescription, CardHeader, CardTitle, cn, Skeleton, Table, TableBody, TableHead, Th, useClock } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { ConnectionStatus } from '@/components/timeline/ConnectionStatus';
import { duration, shortId, shownDateTime, shownTime } from '@/components/timeline/format';
import { cost, tokens } from '@/components/metrics/usageFormat';
import { payloadPreview } from '@/components/timeline/eventList';
import type { RunDetail as RunDetailData } from '@/server/observability';
import type { SpineEvent } from '@/server/spine/events';
import { EnvelopeVersions } from './EnvelopeVersions';
import { RunCanvas } from '@/components/designer/RunCanvas';
import { ReplayCheck } from './ReplayCheck';
import { ForkButton } from './ForkButton';
import { RunForks } from './RunForks';
import { useActor } from '@/components/auth/useActor';
import { RunStatusBadge } from './RunStatusBadge';
import { RunTraceId } from './RunTraceId';
import { useLiveRefresh } from './useLiveRefresh';
import { Waterfall } from './Waterfall';

const WAIT_KIND: Record<string, string> = { approval: 'Approval', timer: 'Delay', key: 'Key', agent: 'Agent', other: 'Other' };

/** Node states in the order the counts are shown: what moves first, what is left last. */
const COUNT_ORDER = ['running', 'waiting', 'done', 'failed', 'skipped', 'pending'] as const;

const nodeOf = (e: SpineEvent): string | undefined => {
  const p = e.payload as { nodeId?: unknown; endNodeId?: unknown } | null;
  return typeof p?.nodeId === 'string' ? p.nodeId : typeof p?.endNodeId === 'string' ? p.endNodeId : undefined;
};

export function RunDetail({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const detail = useQuery(trpc.runs.detail.queryOptions({ runId }, { staleTime: 2_000, refetchOnWindowFocus: false }));
  const d = detail.data;
  // Subscribe from the last event the page shows, so a step taken meanwhile is replayed, not missed.
  const since = d ? (d.events.at(-1)?.seq ?? 0) : detail.isPending ? null : undefined;
  const live = useLiveRefresh({ queryKey: trpc.runs.detail.queryKey({ runId }), runId, throttleMs: 250, since });
  const ended = d ? d.run.endedAt !== null : false;
  const now = useClock(1000, { on: !ended, start: d?.asOfMs });
  const openEvent = (seq: number) => router.push(`/timeline?run=${encodeURIComponent(runId)}&event=${seq}&seq=${seq}`);

  if (detail.isPending)
    return (
      <div className="space-y-4" aria-busy="true" aria-label="Loading the run">
        <Skeleton className="h-20 rounded-xl" />
        <Skeleton className="h-72 rounded-xl" />
        <Skeleton className="h-56 rounded-xl" />
      </div>
    );
  if (detail.isError)
    return (
      <LoadFailed title={`Could not load run ${runId}`} message={detail.error.message} onRetry={() => void detail.refetch()} />
    );
  return <Loaded d={d!} runId={runId} now={now} live={live} openEvent={openEvent} />;
}

function Loaded({ d, runId, now, live, openEvent }: { d: RunDetailData; runId: string; now: number; live: ReturnType<typeof useLiveRefresh>; openEvent(seq: number): void }) {
  const { run, index } = d;
  const { can } = useActor();
  const startedMs = Date.parse(run.startedAt);
  const endedMs = run.endedAt ? Date.parse(run.endedAt) : null;
  const lastByNode = useMemo(() => {
    const m = new Map<string, number>();
    for (const e of d.events) {
      const n = nodeOf(e);
      if (n) m.set(n, e.seq);
    }
    return m;
  }, [d.events]);
  const lastEvent = d.events[d.events.length - 1];
  // Decided after hydration: the server renders the page without knowing the session's roles.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const mayFork = hydrated && can('operator');
  const waiting = index?.waitingOn ?? [];
  // Steps are read by their labels ("Partner review"), their ids only when they have none.
  const nodeLabels = useMemo(() => new Map((d.document?.nodes ?? []).flatMap((n) => (n.label?.trim() ? [[n.id, n.label.trim()] as const] : []))), [d.document]);
  // The run a queued run waits behind for its entity key (from its latest run.queued, until it acquires).
  const queuedBehind = useMemo(() => {
    let behind: string | undefined;
    for (const e of d.events) {
      if (e.type === 'run.queued') behind = (e.payload as { behind?: string }).behind || undefined;
      else if (e.type === 'run.key_acquired') behind = undefined;
    }
    return behind;
  }, [d.events]);

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-start gap-4">
        <div className="min-w-0">
          <p className="text-xs text-zinc-500">
            <Link href="/runs" className="hover:underline">
              Runs
            </Link>{' '}
            / <span className="font-mono">{shortId(runId)}</span>
          </p>
          <h1 className="mt-1 flex flex-wrap items-center gap-2 text-xl font-semibold tracking-tight">
            <Link href={`/workflows/${encodeURIComponent(run.workflowId)}`} className="hover:underline" data-testid="run-workflow" title="Open the workflow">
              {d.workflowName ?? run.workflowSlug}
            </Link>
            <span className="text-sm font-normal text-zinc-500">v{run.version}</span>
            <RunStatusBadge status={run.status} />
          </h1>
          <p className="mt-1 font-mono text-xs break-all text-zinc-500" data-testid="run-id">
            {runId}
          </p>
          {d.traceId && <RunTraceId traceId={d.traceId} traceUrl={d.traceUrl} />}
        </div>
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <ConnectionStatus status={live} />
          <ReplayCheck runId={runId} ended={run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled'} />
          <Link href={`/timeline?run=${encodeURIComponent(runId)}`} className="inline-flex h-8 items-center rounded-md border border-zinc-200 px-2.5 text-xs font-medium hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800">
            Events in timeline
          </Link>
          {lastEvent && (
            <Link href={`/runs/${encodeURIComponent(runId)}/path/${lastEvent.seq}`} className="inline-flex h-8 items-center rounded-md border border-zinc-200 px-2.5 text-xs font-medium hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800">
              Reasoning path
            </Link>
          )}
          <a href={`/api/v1/audit/export?runId=${encodeURIComponent(runId)}&format=jsonl`} className="inline-flex h-8 items-center rounded-md border border-zinc-200 px-2.5 text-xs font-medium hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800" download>
            Export (JSONL)
          </a>
          {(run.status === 'running' || run.status === 'waiting') && <CancelButton runId={runId} />}
          {mayFork && <ForkButton runId={runId} events={d.events} labelOf={(id) => nodeLabels.get(id) ?? id} />}
        </div>
      </div>

      <dl className={cn('grid grid-cols-2 gap-3 sm:grid-cols-3', d.usage ? 'lg:grid-cols-7' : 'lg:grid-cols-6')}>
        <Fact label="Started by">
          <Breakable text={run.startedBy} />
        </Fact>
        <Fact label="Started">{shownDateTime(startedMs)}</Fact>
        <Fact label="Duration">
          <span className="font-mono tabular-nums" data-testid="run-duration">
            {duration((endedMs ?? now) - startedMs)}
          </span>
        </Fact>
        <Fact label="Entity key">
          <span className="font-mono text-xs">{run.key ?? '—'}</span>
        </Fact>
        <Fact label="Envelope">v{run.envelope.version}</Fact>
        {d.usage && (
          <Fact label={d.usage.priced > 0 ? 'Tokens in / out · cost' : 'Tokens in / out'}>
            <span className="font-mono text-xs tabular-nums" data-testid="run-tokens" title={d.usage.byAgent.map((a) => `${a.agent}: ${a.inputTokens} in, ${a.outputTokens} out${a.priced ? `, cost ${cost(a.cost)}` : ''}`).join('\n')}>
              {tokens(d.usage.inputTokens)} / {tokens(d.usage.outputTokens)}
              {d.usage.priced > 0 && <span data-testid="run-cost"> · {cost(d.usage.cost)}</span>}
            </span>
          </Fact>
        )}
        <Fact label="Waiting on">
          {waiting.length === 0 ? (
            <span className="text-zinc-400">—</span>
          ) : (
            <span className="flex flex-wrap gap-1">
              {waiting.map((w) => (
                <Badge key={w.label} tone={w.kind === 'approval' ? 'warning' : 'info'} title={`${w.kind} ${w.label}`} data-testid="waiting-on">
                  <span className="opacity-70">{WAIT_KIND[w.kind] ?? w.kind}</span> {(w.kind === 'approval' || w.kind === 'timer') && nodeLabels.get(w.label) ? nodeLabels.get(w.label) : w.label}
                </Badge>
              ))}
              {queuedBehind && (run.status === 'running' || run.status === 'waiting') && (
                <Link href={`/runs/${encodeURIComponent(queuedBehind)}`} className="text-xs text-indigo-600 hover:underline dark:text-indigo-400" data-testid="queued-behind">
                  behind run {shortId(queuedBehind)}
                </Link>
              )}
            </span>
          )}
        </Fact>
      </dl>

      <RunForks runId={runId} forks={d.forks} />

      {run.envelope.intent && (
        <p className="rounded-lg border-l-4 border-indigo-400 bg-indigo-50/60 px-4 py-2 text-sm dark:bg-indigo-950/30">
          <span className="text-xs font-semibold tracking-wide text-indigo-700 uppercase dark:text-indigo-300">Intent</span>
          <span className="ml-2">{run.envelope.intent}</span>
        </p>
      )}
      {run.error && (
        <p role="alert" className="rounded-lg border border-rose-200 bg-rose-50 px-4 py-2 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300">
          <span className="font-mono text-xs">{run.error.code}</span> {run.error.reason}
          {run.error.nodeId && <span title={run.error.nodeId}> (step {nodeLabels.get(run.error.nodeId) ?? run.error.nodeId})</span>}
        </p>
      )}

      <Section
        title="Workflow"
        description={
          <>
            Each node&apos;s state, live
            <NodeCounts nodes={run.nodes} />
          </>
        }
      >
        {d.document ? (
          <div className="h-[26rem] border-b border-zinc-200 dark:border-zinc-800">
            <RunCanvas key={`${run.workflowId}@${run.version}`} document={d.document} nodeStates={run.nodes} />
          </div>
        ) : (
          <p className="px-5 py-6 text-sm text-zinc-500">The workflow version of this run is not available.</p>
        )}
        <NodeTable d={d} runId={runId} lastByNode={lastByNode} />
      </Section>

      <Section title="Waterfall" description="Steps on a time axis: work, retries, stale re-runs and waits">
        <Waterfall data={d.waterfall} now={now} onOpenEvent={openEvent} />
      </Section>

      <Section title="Context envelope" description="Every version, and what changed between any two">
        <EnvelopeVersions versions={d.versions} omitted={d.versionsOmitted} />
      </Section>

      <Section title="Events" description={d.eventsOmitted ? `The newest ${d.events.length} of ${d.events.length + d.eventsOmitted}; the timeline has them all` : `${d.events.length} events, oldest first`}>
        <RunEvents events={d.events} runId={runId} onOpen={openEvent} />
      </Section>
    </div>
  );
}

function NodeTable({ d, runId, lastByNode }: { d: RunDetailData; runId: string; lastByNode: Map<string, number> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retry = useMutation(
    trpc.runs.retryNode.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.runs.detail.queryKey({ runId }) }),
    }),
  );
  // The agent (and its registry version, recorded on task.dispatched) each agent node's latest attempt used.
  const agentOf = new Map<string, { agent: string; version?: number }>();
  for (const e of d.events) {
    if (e.type !== 'task.dispatched') continue;
    const p = e.payload as { nodeId?: unknown; agent?: unknown; agentVersion?: unknown };
    if (typeof p.nodeId === 'string' && typeof p.agent === 'string') agentOf.set(p.nodeId, { agent: p.agent, ...(typeof p.agentVersion === 'number' && { version: p.agentVersion }) });
  }
  return (
    <div className="border-t border-zinc-200 dark:border-zinc-800">
      <Table testId="node-table">
        <TableHead>
          <Th className="px-5 py-2">Node</Th>
          <Th>Status</Th>
          <Th right>Attempts</Th>
          <Th>Started</Th>
          <Th>Ended</Th>
          <Th className="px-5 py-2" />
        </TableHead>
        <TableBody>
          {d.run.nodes.map((n) => {
            const last = lastByNode.get(n.id);
            return (
              <tr key={n.id} data-testid="node-row" data-node-id={n.id} data-status={n.status}>
                <td className="px-5 py-1.5">
                  <span className="font-medium">{n.label ?? n.id}</span> <span className="text-xs text-zinc-500">{n.kind}</span>
                  {agentOf.has(n.id) && (
                    <span className="ml-1.5 font-mono text-xs text-zinc-500" data-testid="node-agent">
                      {agentOf.get(n.id)!.agent}
                      {agentOf.get(n.id)!.version !== undefined && ` v${agentOf.get(n.id)!.version}`}
                    </span>
                  )}
                  {n.error && <p className="text-xs text-rose-600 dark:text-rose-400">{n.error}</p>}
                </td>
                <td className="px-3 py-1.5">
                  <RunStatusBadge status={n.status === 'done' ? 'completed' : n.status} />
                </td>
                <td className="px-3 py-1.5 text-right font-mono text-xs">{n.attempts || '—'}</td>
                <td className="px-3 py-1.5 font-mono text-xs text-zinc-500">{n.startedAt ? shownTime(n.startedAt).time : '—'}</td>
                <td className="px-3 py-1.5 font-mono text-xs text-zinc-500">{n.endedAt ? shownTime(n.endedAt).time : '—'}</td>
                <td className="px-5 py-1.5 text-right whitespace-nowrap">
                  {last !== undefined && (
                    <Link href={`/runs/${encodeURIComponent(runId)}/path/${last}`} className="text-xs text-indigo-600 hover:underline dark:text-indigo-400" aria-label={`Reasoning path of ${n.label ?? n.id}`}>
                      Reasoning path
                    </Link>
                  )}
                  {d.run.status === 'failed' && n.status === 'failed' && n.kind === 'agent' && (
                    <Button size="sm" className="ml-2" disabled={retry.isPending} onClick={() => retry.mutate({ runId, nodeId: n.id })}>
                      Retry node
                    </Button>
                  )}
                </td>
              </tr>
            );
          })}
        </TableBody>
      </Table>
      {retry.isError && <p className="px-5 py-2 text-xs text-rose-600">Retry refused: {retry.error.message}</p>}
    </div>
  );
}

function RunEvents({ events, runId, onOpen }: { events: SpineEvent[]; runId: string; onOpen(seq: number): void }) {
  return (
    <div className="max-h-[32rem] overflow-y-auto">
      <table className="w-full text-sm" data-testid="run-events">
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800/70">
          {events.map((e) => (
            <tr key={e.seq} data-testid="run-event" data-seq={e.seq} data-type={e.type}>
              <td className="w-16 px-5 py-1.5 font-mono text-xs text-zinc-400">#{e.seq}</td>
              <td className="w-28 px-2 py-1.5 font-mono text-xs text-zinc-500">{shownTime(e.time).time}</td>
              <td className="px-2 py-1.5">
                <button type="button" onClick={() => onOpen(e.seq)} className="font-mono text-[13px] hover:underline">
                  {e.type}
                </button>
              </td>
              <td className="px-2 py-1.5 text-xs text-zinc-500">{e.source.name}</td>
              <td className="px-2 py-1.5 text-xs text-zinc-500">v{e.envelopeVersion}</td>
              <td className="max-w-[28rem] truncate px-2 py-1.5 font-mono text-xs text-zinc-500">{payloadPreview(e.payload, 160)}</td>
              <td className="px-5 py-1.5 text-right">
                <Link href={`/runs/${encodeURIComponent(runId)}/path/${e.seq}`} className="text-xs text-indigo-600 hover:underline dark:text-indigo-400" aria-label={`Reasoning path to event ${e.seq}`}>
                  Path
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CancelButton({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const cancel = useMutation(
    trpc.runs.cancel.mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        void queryClient.invalidateQueries({ queryKey: trpc.runs.detail.queryKey({ runId }) });
      },
    }),
  );
  if (!confirming)
    return (
      <Button size="sm" onClick={() => setConfirming(true)} className="text-rose-700 dark:text-rose-400">
        Cancel run
      </Button>
    );
  return (
    <form
      className="flex items-center gap-1.5"
      onSubmit={(e) => {
        e.preventDefault();
        cancel.mutate({ runId, ...(reason.trim() && { reason: reason.trim() }) });
      }}
    >
      <input aria-label="Reason" placeholder="Reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} className="h-8 w-44 rounded-md border border-zinc-200 bg-white px-2 text-sm dark:border-zinc-800 dark:bg-zinc-900" />
      <Button size="sm" type="submit" variant="primary" disabled={cancel.isPending} className="bg-rose-600 hover:bg-rose-500 dark:bg-rose-500">
        Confirm cancel
      </Button>
      <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>
        Keep running
      </Button>
      {cancel.isError && <span className="text-xs text-rose-600">{cancel.error.message}</span>}
    </form>
  );
}

/** How many nodes are in each state ("2 running · 8 done · 4 pending"). */
function NodeCounts({ nodes }: { nodes: RunDetailData['run']['nodes'] }) {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
  const shown = COUNT_ORDER.filter((s) => counts.get(s));
  if (shown.length === 0) return null;
  return (
    <span data-testid="run-counts">
      {': '}
      {shown.map((s, i) => (
        <span key={s} data-status={s} data-count={counts.get(s)}>
          {i > 0 && ' · '}
          {counts.get(s)} {s}
        </span>
      ))}
    </span>
  );
}

function Section({ title, description, children }: { title: string; description: ReactNode; children: ReactNode }) {
  return (
    <Card className="overflow-hidden">
      <CardHeader>
        <div>
          <CardTitle>{title}</CardTitle>
          <CardDescription>{description}</CardDescription>
        </div>
      </CardHeader>
      {children}
    </Card>
  );
}

/**
 * An e-mail address or dotted name that wraps where a reader expects (before "@" and ".") rather than in
 * the middle of a word.
 */
function Breakable({ text }: { text: string | null | undefined }) {
  if (!text) return <>—</>;
  const parts = text.split(/(?=[@.])/);
  return (
    <span data-testid="started-by">
      {parts.map((p, i) => (
        <span key={i}>
          {i > 0 && <wbr />}
          {p}
        </span>
      ))}
    </span>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className={cn('rounded-lg border border-zinc-200 bg-white px-3 py-2 dark:border-zinc-800 dark:bg-zinc-900/60')}>
      <dt className="text-[11px] text-zinc-500">{label}</dt>
      <dd className="mt-0.5 text-sm [overflow-wrap:anywhere] [word-break:normal]">{children}</dd>
    </div>
  );
}
