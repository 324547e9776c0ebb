'use client';
/**
 * The overview: how work is flowing right now, from the log. Throughput, runs by status, latency per
 * agent and per node kind, failure and retry rates, stale re-runs, pending approvals with their age and
 * join wait times. Updated by push; ages and the events-per-second figure tick with the clock.
 */
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Badge, Button, Card, CardContent, CardDescription, CardHeader, CardTitle, cn, Skeleton, Table, TableBody, TableHead, Th, useClock } from '@/components/ui';
import { ConnectionStatus } from '@/components/timeline/ConnectionStatus';
import { ago, count, duration, percent, shortId } from '@/components/timeline/format';
import { cost, tokens } from './usageFormat';
import type { Overview as OverviewData } from '@/server/observability';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { HealthBadge } from '@/components/agents/HealthBadge';
import { durationAxis } from './durationAxis';
import { Sparkline } from './Sparkline';
import { useOverview } from './useOverview';
import { WINDOWS, windowOf } from './windows';


export const STATUS_COLORS: Record<string, string> = {
  queued: '#a1a1aa', running: '#6366f1', waiting: '#f59e0b', completed: '#10b981', failed: '#f43f5e', cancelled: '#71717a',
};

export function Overview() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const window = windowOf(params.get('window'));
  const { data, status, error, retry } = useOverview(window);
  const now = useClock(1000, { start: data?.asOfMs });

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-0">
          <h1 className="text-xl font-semibold tracking-tight">Overview</h1>
          <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">How work is flowing, computed from the log.</p>
        </div>
        <div className="ml-auto flex items-center gap-3">
          <div role="radiogroup" aria-label="Time window" className="flex rounded-lg border border-zinc-200 bg-white p-0.5 dark:border-zinc-800 dark:bg-zinc-900">
            {WINDOWS.map((x) => (
              <button
                key={x.id}
                type="button"
                role="radio"
                aria-checked={window === x.id}
                onClick={() => router.replace(`${pathname}?window=${x.id}`, { scroll: false })}
                className={cn('rounded-md px-2.5 py-1 text-xs', window === x.id ? 'bg-zinc-900 font-medium text-white dark:bg-zinc-100 dark:text-zinc-900' : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100')}
              >
                {x.label}
              </button>
            ))}
          </div>
          <ConnectionStatus status={status} />
        </div>
      </div>

      {error && (
        <div role="alert" className="flex items-center gap-3 rounded-lg border border-rose-200 bg-rose-50 px-4 py-2.5 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300">
          <span className="flex-1">{data ? 'Live updates stopped: ' : 'Could not load the overview: '}{error}</span>
          <Button size="sm" onClick={retry}>
            Try again
          </Button>
        </div>
      )}

      {!data ? (
        status === 'loading' ? <LoadingOverview /> : null
      ) : (
        <Body data={data} now={now} windowLabel={WINDOWS.find((x) => x.id === window)!.label} />
      )}
    </div>
  );
}

function Body({ data, now, windowLabel }: { data: OverviewData; now: number; windowLabel: string }) {
  const trpc = useTRPC();
  const latencyAxis = durationAxis(Math.max(0, ...data.nodeKinds.map((k) => k.p95 ?? 0)));
  // Agent health is always over the last hour (server/observability/agentHealth.ts), whatever the window.
  const health = useQuery(trpc.agents.health.queryOptions(undefined, { refetchInterval: 10_000 }));
  const healthOf = new Map((health.data ?? []).map((h) => [h.agent, h]));
  // Events/s over the last minute by the clock: it falls back to zero while the log is idle.
  const lastMinute = data.recent.filter((r) => r.t >= now - 60_000).reduce((a, r) => a + r.n, 0) / 60;
  const active = data.runsByStatus.running + data.runsByStatus.waiting + data.runsByStatus.queued;
  return (
    <>
      <section aria-label="Key figures" className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        <Stat label="Events / s" value={lastMinute.toFixed(lastMinute < 10 ? 1 : 0)} note="last minute" testId="stat-eps" />
        <Stat label="Events" value={count(data.eventsInWindow)} note={`last ${windowLabel} · head #${count(data.head)}`} testId="stat-events" />
        <Stat label="Active runs" value={count(active)} note={`${count(data.runsTotal)} runs in all`} href="/runs?status=running,waiting,queued" testId="stat-active-runs" />
        <Stat label="Task failure rate" value={percent(data.tasks.failureRate)} note={`${count(data.tasks.failed)} of ${count(data.tasks.dispatched)} attempts`} tone={(data.tasks.failureRate ?? 0) > 0.05 ? 'danger' : undefined} testId="stat-failure-rate" />
        <Stat label="Retry rate" value={percent(data.tasks.retryRate)} note={`${count(data.tasks.retried)} retries · ${count(data.tasks.staleReruns)} stale re-runs`} testId="stat-retry-rate" />
        <Stat
          label="Approvals pending"
          value={count(data.approvals.pending)}
          note={data.approvals.oldestRequestedAtMs ? `oldest ${ago(data.approvals.oldestRequestedAtMs, now).replace(' ago', '')}` : 'none waiting'}
          tone={data.approvals.pending > 0 ? 'warning' : undefined}
          href="/approvals"
          testId="stat-approvals"
        />
      </section>

      <div className="grid gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader>
            <div>
              <CardTitle>Events over time</CardTitle>
              <CardDescription>Committed events per {duration(data.bucketMs)}, last {windowLabel}</CardDescription>
            </div>
          </CardHeader>
          <CardContent>
            <div className="h-56" role="img" aria-label={`Events per ${duration(data.bucketMs)} over the last ${windowLabel}`}>
              <ResponsiveContainer width="100%" height="100%">
                <AreaChart data={data.throughput} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                  <defs>
                    <linearGradient id="thr" x1="0" y1="0" x2="0" y2="1">
                      <stop offset="0%" stopColor="#6366f1" stopOpacity={0.35} />
                      <stop offset="100%" stopColor="#6366f1" stopOpacity={0.02} />
                    </linearGradient>
                  </defs>
                  <CartesianGrid strokeDasharray="3 3" stroke="currentColor" className="text-zinc-200 dark:text-zinc-800" vertical={false} />
                  <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} tick={{ fontSize: 11 }} stroke="#a1a1aa" />
                  <YAxis allowDecimals={false} tick={{ fontSize: 11 }} stroke="#a1a1aa" />
                  <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString()} formatter={(v) => [count(Number(v)), 'events']} contentStyle={{ fontSize: 12, borderRadius: 8 }} />
                  <Area type="monotone" dataKey="n" stroke="#6366f1" strokeWidth={2} fill="url(#thr)" isAnimationActive={false} />
                </AreaChart>
              </ResponsiveContainer>
            </div>
          </CardContent>
        </Card>

        <Card>
          <CardHeader>
            <div>
              <CardTitle>Runs by status</CardTitle>
              <CardDescription>All runs, now</CardDescription>
            </div>
          </CardHeader>
          <CardContent>
            {data.runsTotal === 0 ? (
              <Empty>No runs yet. Start one from a workflow.</Empty>
            ) : (
              <ul className="space-y-2" data-testid="runs-by-status">
                {Object.entries(data.runsByStatus).map(([s, n]) => (
                  <li key={s}>
                    <Link href={`/runs?status=${s}`} className="group block">
                      <div className="flex items-center justify-between text-sm">
                        <span className="capitalize group-hover:underline">{s}</span>
                        <span className="font-mono text-xs tabular-nums">{count(n)}</span>
                      </div>
                      <div className="mt-1 h-1.5 overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800">
                        <div className="h-full rounded-full" style={{ width: `${(n / Math.max(1, data.runsTotal)) * 100}%`, backgroundColor: STATUS_COLORS[s] }} />
                      </div>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
      </div>

      <Card>
        <CardHeader>
          <div>
            <CardTitle>Agents</CardTitle>
            <CardDescription>Work per agent in the last {windowLabel}: latency of completed tasks, failures and retries, tokens and cost of LLM agents; health and tasks in flight over the last hour</CardDescription>
          </div>
        </CardHeader>
        {data.agents.length === 0 ? (
          <CardContent>
            <Empty>No agent work in this window.</Empty>
          </CardContent>
        ) : (
          <Table testId="agent-table">
            <TableHead>
              <Th className="px-5 py-2">Agent</Th>
              <Th>Health</Th>
              <Th right>In flight</Th>
              <Th right>Tasks</Th>
              <Th right>Failures</Th>
              <Th right>Retries</Th>
              <Th right>p50</Th>
              <Th right>p95</Th>
              <Th right>Tokens in</Th>
              <Th right>Tokens out</Th>
              <Th right>Cost</Th>
              <Th className="px-5 py-2">Completions</Th>
            </TableHead>
            <TableBody>
              {data.agents.map((a) => (
                <tr key={a.agent}>
                  <td className="px-5 py-2">
                    <Link href={`/timeline?agent=${encodeURIComponent(a.agent)}`} className="font-medium hover:underline">
                      {a.agent}
                    </Link>
                  </td>
                  <td className="px-3 py-2">
                    <HealthBadge agent={a.agent} status={healthOf.get(a.agent)?.status} reason={[healthOf.get(a.agent)?.reason, healthOf.get(a.agent)?.lastError?.message].filter(Boolean).join(' · last error: ')} />
                  </td>
                  <td className="px-3 py-2 text-right font-mono tabular-nums">{healthOf.get(a.agent)?.inFlight ?? '—'}</td>
                  <td className="px-3 py-2 text-right font-mono tabular-nums">{count(a.count)}</td>
                  <td className={cn('px-3 py-2 text-right font-mono tabular-nums', a.failed > 0 && 'text-rose-600 dark:text-rose-400')}>{count(a.failed)}</td>
                  <td className="px-3 py-2 text-right font-mono tabular-nums">{count(a.retries)}</td>
                  <td className="px-3 py-2 text-right font-mono tabular-nums">{duration(a.p50)}</td>
                  <td className="px-3 py-2 text-right font-mono tabular-nums">{duration(a.p95)}</td>
                  <td className="px-3 py-2 text-right font-mono tabular-nums" data-testid="agent-tokens-in">{a.inputTokens ? tokens(a.inputTokens) : '—'}</td>
                  <td className="px-3 py-2 text-right font-mono tabular-nums" data-testid="agent-tokens-out">{a.outputTokens ? tokens(a.outputTokens) : '—'}</td>
                  <td className="px-3 py-2 text-right font-mono tabular-nums" data-testid="agent-cost" title="Where the agent has a price per 1M tokens">{cost(a.cost)}</td>
                  <td className="px-5 py-1">
                    <Sparkline points={a.spark} label={`Completions of ${a.agent} over the window`} />
                  </td>
                </tr>
              ))}
            </TableBody>
          </Table>
        )}
      </Card>

      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <div>
              <CardTitle>Latency by node kind</CardTitle>
              <CardDescription>p50 and p95 in the last {windowLabel}; joins from the first input to firing</CardDescription>
            </div>
          </CardHeader>
          <CardContent>
            <div className="h-52" role="img" aria-label="p50 and p95 latency by node kind">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={data.nodeKinds.map((k) => ({ kind: k.kind, p50: k.p50 ?? 0, p95: k.p95 ?? 0, n: k.count }))} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="currentColor" className="text-zinc-200 dark:text-zinc-800" vertical={false} />
                  <XAxis dataKey="kind" tick={{ fontSize: 11 }} stroke="#a1a1aa" />
                  <YAxis tickFormatter={latencyAxis.format} tick={{ fontSize: 11 }} width={52} stroke="#a1a1aa" />
                  <Tooltip formatter={(v, name) => [duration(Number(v)), String(name)]} contentStyle={{ fontSize: 12, borderRadius: 8 }} />
                  <Legend wrapperStyle={{ fontSize: 11 }} />
                  <Bar dataKey="p50" fill="#818cf8" isAnimationActive={false} radius={[3, 3, 0, 0]} />
                  <Bar dataKey="p95" fill="#4f46e5" isAnimationActive={false} radius={[3, 3, 0, 0]} />
                </BarChart>
              </ResponsiveContainer>
            </div>
            <Table testId="node-kind-table" dense scrollClassName="mt-3">
              <TableHead dense>
                <Th className="py-1">Kind</Th>
                <Th right className="py-1">Count</Th>
                <Th right className="py-1">p50</Th>
                <Th right className="py-1">p95</Th>
                <Th right className="py-1">Max</Th>
              </TableHead>
              <tbody>
                {data.nodeKinds.map((k) => (
                  <tr key={k.kind} className="border-t border-zinc-100 dark:border-zinc-800/70">
                    <td className="py-1">{k.kind}</td>
                    <td className="py-1 text-right font-mono tabular-nums">{count(k.count)}</td>
                    <td className="py-1 text-right font-mono tabular-nums">{duration(k.p50)}</td>
                    <td className="py-1 text-right font-mono tabular-nums">{duration(k.p95)}</td>
                    <td className="py-1 text-right font-mono tabular-nums">{duration(k.max)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </CardContent>
        </Card>

        <Card>
          <CardHeader>
            <div>
              <CardTitle>Approvals waiting</CardTitle>
              <CardDescription>Oldest first; age counts from the request</CardDescription>
            </div>
            <Badge tone={data.approvals.pending ? 'warning' : 'success'} className="ml-auto">
              {data.approvals.pending} pending
            </Badge>
          </CardHeader>
          {data.approvals.items.length === 0 ? (
            <CardContent>
              <Empty>Nobody is waiting on an approval.</Empty>
            </CardContent>
          ) : (
            <ul className="divide-y divide-zinc-100 dark:divide-zinc-800/70" data-testid="pending-approvals">
              {data.approvals.items.map((a) => (
                <li key={a.approvalId} className="flex items-center gap-3 px-5 py-2 text-sm">
                  <Link href={`/runs/${encodeURIComponent(a.runId)}`} className="min-w-0 flex-1 hover:underline" title={`Run ${a.runId}, step ${a.nodeId}`} data-testid="pending-approval">
                    <span className="block truncate font-medium">{a.nodeLabel ?? a.nodeId}</span>
                    <span className="block truncate text-xs text-zinc-500">{a.workflowName ?? a.workflowId ?? 'workflow'} · run {shortId(a.runId)}</span>
                  </Link>
                  {a.role && <Badge>{a.role}</Badge>}
                  <span className={cn('w-24 text-right font-mono text-xs tabular-nums', now - a.requestedAtMs > 3_600_000 && 'text-amber-600 dark:text-amber-400')}>{duration(now - a.requestedAtMs)}</span>
                </li>
              ))}
            </ul>
          )}
          <CardContent className="border-t border-zinc-200 dark:border-zinc-800">
            <h3 className="text-xs font-semibold text-zinc-500 uppercase">Join wait times</h3>
            <p className="mt-1 text-sm" data-testid="join-waits">
              {data.joins.count === 0 ? (
                <span className="text-zinc-500">No join fired in this window.</span>
              ) : (
                <>
                  {count(data.joins.count)} joins · p50 <b className="font-mono">{duration(data.joins.p50)}</b> · p95 <b className="font-mono">{duration(data.joins.p95)}</b> · max{' '}
                  <b className="font-mono">{duration(data.joins.max)}</b>
                </>
              )}
            </p>
            <p className="mt-2 text-xs text-zinc-500">
              Runs in the window: {count(data.runs.started)} started, {count(data.runs.completed)} completed, {count(data.runs.failed)} failed ({percent(data.runs.failureRate)}), {count(data.runs.cancelled)} cancelled.
            </p>
          </CardContent>
        </Card>
      </div>
    </>
  );
}

function Stat({ label, value, note, tone, href, testId }: { label: string; value: string; note: string; tone?: 'danger' | 'warning'; href?: string; testId?: string }) {
  const body = (
    <>
      <p className="text-xs font-medium text-zinc-500 dark:text-zinc-400">{label}</p>
      <p className={cn('mt-1 text-2xl font-semibold tracking-tight tabular-nums', tone === 'danger' && 'text-rose-600 dark:text-rose-400', tone === 'warning' && 'text-amber-600 dark:text-amber-400')} data-testid={testId}>
        {value}
      </p>
      {/* Wraps rather than cuts: a caption is read, not skimmed ("last 1 hour · head #12,345"). */}
      <p className="mt-0.5 text-xs text-balance text-zinc-500 dark:text-zinc-400" data-testid={testId ? `${testId}-note` : undefined}>
        {note}
      </p>
    </>
  );
  const cls = 'block rounded-xl border border-zinc-200 bg-white px-4 py-3 shadow-xs dark:border-zinc-800 dark:bg-zinc-900/60';
  return href ? (
    <Link href={href} className={cn(cls, 'hover:border-zinc-300 dark:hover:border-zinc-700')}>
      {body}
    </Link>
  ) : (
    <div className={cls}>{body}</div>
  );
}

function Empty({ children }: { children: ReactNode }) {
  return <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{children}</p>;
}

function LoadingOverview() {
  return (
    <div aria-busy="true" aria-label="Loading the overview" className="space-y-4">
      <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        {Array.from({ length: 6 }, (_, i) => (
          <Skeleton key={i} className="h-[5.25rem] rounded-xl" />
        ))}
      </div>
      <div className="grid gap-4 lg:grid-cols-3">
        <Skeleton className="h-72 rounded-xl lg:col-span-2" />
        <Skeleton className="h-72 rounded-xl" />
      </div>
      <Skeleton className="h-64 rounded-xl" />
    </div>
  );
}
