'use client';
/**
 * One evaluation (`/evaluations/[evaluationId]`): what was evaluated, the summary (same outcome, changed,
 * broke a contract, failed, tokens and latency before/after) and one row per origin run, with links to the
 * origin, its fork and the two side by side (`/runs/compare`). Live: the server pushes each of the
 * evaluation's events (`evaluations.live`) and the page reads the evaluation again, so rows fill in as forks end. Once
 * it has ended an architect ships the version or rolls back to the one the runs used.
 */
import Link from 'next/link';
import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { Badge, Button, Card, CardContent, CardHeader, CardTitle, ErrorNote, Skeleton, Table, TableBody, TableHead, Th, Toasts, toast, type BadgeTone } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { useActor } from '@/components/auth/useActor';
import type { EvaluationRow, EvaluationStatus, EvaluationView } from '@/server/evaluations';

const STATUS_TONE: Record<EvaluationStatus, BadgeTone> = { running: 'info', completed: 'success', failed: 'danger', interrupted: 'warning' };
const short = (id: string) => id.slice(0, 8);
const delta = (before: number, after: number) => (after === before ? '=' : after > before ? `+${after - before}` : `${after - before}`);

export function EvaluationPage({ evaluationId }: { evaluationId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { can } = useActor();
  const ev = useQuery(trpc.evaluations.get.queryOptions({ evaluationId }));
  const running = ev.data?.status === 'running';
  useSubscription(
    trpc.evaluations.live.subscriptionOptions(running ? { evaluationId } : skipToken, {
      onData: () => void queryClient.invalidateQueries(trpc.evaluations.get.queryFilter({ evaluationId })),
    }),
  );
  const decided = async (what: string) => {
    toast(what, { tone: 'success' });
    await queryClient.invalidateQueries(trpc.evaluations.pathFilter());
    await queryClient.invalidateQueries(trpc.agents.pathFilter());
  };
  const ship = useMutation(trpc.evaluations.ship.mutationOptions({ onSuccess: (v) => decided(`Shipped ${v.agent} v${v.version}.`) }));
  const rollBack = useMutation(trpc.evaluations.rollBack.mutationOptions({ onSuccess: (v) => decided(`Rolled ${v.agent} back to v${v.baseVersion}'s config.`) }));

  if (ev.isPending) return <Skeleton className="h-48" />;
  if (ev.isError) return <ErrorNote error={ev.error} context="Could not load the evaluation" />;
  const v = ev.data;
  const s = v.summary;
  const mayDecide = can('architect') && v.status !== 'running' && v.decision === null;
  return (
    <div className="space-y-4" data-testid="evaluation">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold tracking-tight">
          {v.agent} v{v.version} on {v.workflowName}
        </h1>
        <Badge tone={STATUS_TONE[v.status]} data-testid="evaluation-status">
          {v.status}
        </Badge>
        <span className="text-xs text-zinc-500">
          last {v.lastN} completed runs · {v.concurrency} at a time · side effects {v.allowSideEffects ? 'allowed' : 'held'} · by {v.startedBy}
          {v.baseVersion !== null && ` · the runs used v${v.baseVersion}`}
        </span>
      </div>
      {v.status === 'interrupted' && <ErrorNote message="This evaluation was interrupted (Spine restarted while it ran): the rows below are those it had compared. Start it again for the rest." />}
      {v.error && <ErrorNote message={v.error} />}
      <Card>
        <CardContent className="grid grid-cols-2 gap-4 p-5 text-sm sm:grid-cols-4 lg:grid-cols-7" data-testid="evaluation-summary">
          <Stat label="Compared" value={`${s.compared} / ${v.rows.length}`} />
          <Stat label="Same outcome" value={s.sameOutcome} testId="summary-same" />
          <Stat label="Outputs changed" value={s.changed} testId="summary-changed" />
          <Stat label="Broke a contract" value={s.brokeContract} testId="summary-contract" tone={s.brokeContract > 0 ? 'text-rose-700 dark:text-rose-400' : undefined} />
          <Stat label="Did not complete" value={s.failed} testId="summary-failed" />
          <Stat label="Tokens" value={`${s.tokens.before} → ${s.tokens.after} (${delta(s.tokens.before, s.tokens.after)})`} />
          <Stat label="Latency p50" value={`${s.latencyP50Ms.before ?? '—'} → ${s.latencyP50Ms.after ?? '—'} ms`} />
        </CardContent>
      </Card>
      <div className="flex flex-wrap items-center gap-2">
        {v.decision ? (
          <p className="text-sm" data-testid="evaluation-decision">
            {v.decision.kind === 'shipped' ? `Shipped v${v.decision.version}` : `Rolled back to v${v.decision.version}`} by {v.decision.by}, {new Date(v.decision.at).toLocaleString()}.
          </p>
        ) : (
          can('architect') && (
            <>
              <Button variant="primary" disabled={!mayDecide || ship.isPending} onClick={() => ship.mutate({ evaluationId })} data-testid="evaluation-ship">
                Ship v{v.version}
              </Button>
              <Button disabled={!mayDecide || v.baseVersion === null || rollBack.isPending} onClick={() => rollBack.mutate({ evaluationId })} data-testid="evaluation-rollback">
                Roll back{v.baseVersion !== null && ` to v${v.baseVersion}`}
              </Button>
              {v.status === 'running' && <span className="text-xs text-zinc-500">Ship or roll back once it has ended.</span>}
            </>
          )
        )}
        {(ship.error ?? rollBack.error) && <ErrorNote error={ship.error ?? rollBack.error} />}
      </div>
      <Card>
        <CardHeader>
          <CardTitle>Runs</CardTitle>
        </CardHeader>
        <CardContent className="p-0">
          <Table testId="evaluation-rows" label="Runs compared">
            <TableHead>
              <Th className="px-5 py-2">Origin</Th>
              <Th>Fork</Th>
              <Th>Outcome</Th>
              <Th>Changed outputs</Th>
              <Th>Contract</Th>
              <Th right>Tokens</Th>
              <Th right>Latency (ms)</Th>
              <Th />
            </TableHead>
            <TableBody>
              {v.rows.map((r) => (
                <Row key={r.origin} row={r} />
              ))}
            </TableBody>
          </Table>
        </CardContent>
      </Card>
      <Toasts />
    </div>
  );
}

function Stat({ label, value, testId, tone }: { label: string; value: string | number; testId?: string; tone?: string }) {
  return (
    <div>
      <p className="text-xs text-zinc-500">{label}</p>
      <p className={`font-medium tabular-nums ${tone ?? ''}`} data-testid={testId}>
        {value}
      </p>
    </div>
  );
}

const runLink = (id: string) => (
  <Link href={`/runs/${encodeURIComponent(id)}`} className="font-mono text-xs text-indigo-700 hover:underline dark:text-indigo-300">
    {short(id)}
  </Link>
);

function Row({ row }: { row: EvaluationView['rows'][number] }) {
  if (row.state === 'pending')
    return (
      <tr data-testid="evaluation-row" data-state="pending">
        <td className="px-5 py-2">{runLink(row.origin)}</td>
        <td colSpan={7} className="px-3 py-2 text-xs text-zinc-500">
          running…
        </td>
      </tr>
    );
  const r: EvaluationRow = row;
  return (
    <tr data-testid="evaluation-row" data-state={r.state} data-same={r.sameOutcome ? 'true' : 'false'}>
      <td className="px-5 py-2 align-top">{runLink(r.origin)}</td>
      <td className="px-3 py-2 align-top">{r.fork ? runLink(r.fork) : '—'}</td>
      <td className="px-3 py-2 align-top">
        {r.state !== 'compared' ? (
          <span className="text-xs text-zinc-500">{r.reason}</span>
        ) : r.sameOutcome ? (
          <Badge tone="success">same</Badge>
        ) : (
          <Badge tone="warning" title={`${r.originStatus} → ${r.forkStatus}`}>
            {r.originStatus === r.forkStatus ? 'different output' : `${r.originStatus} → ${r.forkStatus}`}
          </Badge>
        )}
        {r.state === 'compared' && r.reason && <p className="mt-0.5 max-w-xs text-xs text-zinc-500">{r.reason}</p>}
      </td>
      <td className="px-3 py-2 align-top font-mono text-xs">{r.changed.join(', ') || '—'}</td>
      <td className="max-w-[16rem] px-3 py-2 align-top text-xs text-rose-700 dark:text-rose-400" title={r.contractViolations.map((c) => c.error).join('\n')}>
        {r.contractViolations.length > 0 ? `broken at ${r.contractViolations.map((c) => c.nodeId).join(', ')}` : ''}
      </td>
      <td className="px-3 py-2 text-right align-top tabular-nums">
        {r.tokens.before} → {r.tokens.after}
      </td>
      <td className="px-3 py-2 text-right align-top tabular-nums">
        {r.latencyMs.before} → {r.latencyMs.after}
      </td>
      <td className="px-3 py-2 align-top text-xs">
        {r.fork && (
          <Link href={`/runs/compare?a=${encodeURIComponent(r.origin)}&b=${encodeURIComponent(r.fork)}`} className="text-indigo-700 hover:underline dark:text-indigo-300">
            Compare
          </Link>
        )}
      </td>
    </tr>
  );
}
