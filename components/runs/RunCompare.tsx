'use client';
/**
 * Two runs side by side (`/runs/compare?a=&b=`; server/engine/compare.ts computes it): a summary of each
 * (workflow, status, duration, tokens and cost, agent calls and reused outputs), then one row per step in
 * path order with each run's status, decision (route, approval, join, end), duration, tokens and output,
 * the changed paths highlighted in both outputs and listed under the row. The first differing row is the
 * divergence point: marked "Diverges here" and scrolled into view. Steps read by their labels.
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, type ReactNode } from 'react';
import { Badge, Card, LoadFailed, CardDescription, CardHeader, CardTitle, cn, Skeleton, Table, TableBody, TableHead, Th, type BadgeTone } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { duration, shortId, shownDateTime } from '@/components/timeline/format';
import { cost, tokens } from '@/components/metrics/usageFormat';
import type { ComparedNode, ComparedRun, NodeDecision, NodeDifference, NodeInRun, RunComparison } from '@/server/engine';
import { jsonPath, type JsonChange } from './jsonDiff';
import { RunStatusBadge } from './RunStatusBadge';

const STATUS_TONE: Record<NodeInRun['status'], BadgeTone> = { completed: 'success', failed: 'danger', skipped: 'neutral', running: 'info', waiting: 'warning', not_reached: 'neutral' };
const STATUS_TEXT: Record<NodeInRun['status'], string> = { completed: 'completed', failed: 'failed', skipped: 'skipped', running: 'running', waiting: 'waiting', not_reached: 'not reached' };
const DIFFERENCE_TEXT: Record<NodeDifference, string> = { ran: 'ran in one run only', status: 'another status', decision: 'another decision', output: 'another output' };

export function RunCompare({ a, b }: { a: string; b: string }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.runs.compare.queryOptions({ a, b }),
    refetchOnWindowFocus: false,
    // A run still at work is compared again until both have ended.
    refetchInterval: (query) => {
      const d = query.state.data;
      const open = (st: string) => st === 'running' || st === 'waiting';
      return d && (open(d.a.status) || open(d.b.status)) ? 2000 : false;
    },
  });
  const divergenceAt = q.data?.divergence?.nodeId;
  useEffect(() => {
    if (divergenceAt) document.querySelector('[data-divergence="true"]')?.scrollIntoView({ block: 'center' });
  }, [divergenceAt]);

  if (q.isPending)
    return (
      <div className="space-y-4" aria-busy="true" aria-label="Comparing the runs">
        <Skeleton className="h-24 rounded-xl" />
        <Skeleton className="h-72 rounded-xl" />
      </div>
    );
  if (q.isError)
    return (
      <LoadFailed title="Could not compare the runs" message={q.error.message} onRetry={() => void q.refetch()} />
    );
  return <Loaded c={q.data} />;
}

function Loaded({ c }: { c: RunComparison }) {
  const labelOf = (id: string | null) => (id === null ? '—' : (c.labels[id] ?? id));
  const sameWorkflow = c.a.workflowId === c.b.workflowId;
  return (
    <div className="space-y-5">
      <div>
        <p className="text-xs text-zinc-500">
          <Link href="/runs" className="hover:underline">
            Runs
          </Link>{' '}
          / Compare
        </p>
        <h1 className="mt-1 text-xl font-semibold tracking-tight">
          Compare runs{sameWorkflow && <span className="font-normal text-zinc-500"> of {c.a.workflowName}</span>}
        </h1>
      </div>

      <div className="grid gap-3 sm:grid-cols-2">
        <RunSummary side="A" run={c.a} other={c.b} />
        <RunSummary side="B" run={c.b} other={c.a} />
      </div>

      {c.divergence ? (
        <p className="rounded-lg border border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200" data-testid="compare-divergence">
          The runs diverge at{' '}
          <a href={`#step-${c.divergence.nodeId}`} className="font-semibold underline">
            {c.divergence.label}
          </a>
          : {c.divergence.differences.map((d) => DIFFERENCE_TEXT[d]).join(', ')}.
        </p>
      ) : (
        <p className="rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-2 text-sm text-emerald-800 dark:border-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-300" data-testid="compare-divergence" data-none="true">
          No divergence: the two runs agree step for step (status, decisions and outputs).
        </p>
      )}
      {c.inputDiff.length > 0 && (
        <div className="rounded-lg border border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800" data-testid="compare-input-diff">
          <span className="text-xs font-semibold tracking-wide text-zinc-500 uppercase">Input changed</span>
          <Changes changes={c.inputDiff} />
        </div>
      )}

      <Card className="overflow-hidden">
        <CardHeader>
          <div>
            <CardTitle>Step by step</CardTitle>
            <CardDescription>In the order the steps finished; changed output fields are highlighted in both runs</CardDescription>
          </div>
        </CardHeader>
        <Table label="The two runs side by side" testId="compare-table" className="min-w-[44rem] table-fixed">
          <TableHead>
            <Th className="w-44 px-4 py-2">Step</Th>
            <Th className="px-3 py-2">A · run {shortId(c.a.runId)}</Th>
            <Th className="px-3 py-2">B · run {shortId(c.b.runId)}</Th>
          </TableHead>
          {c.rows.map((r) => (
            <Row key={r.nodeId} r={r} labelOf={labelOf} />
          ))}
          <tbody className="border-t border-zinc-200 text-xs dark:border-zinc-800">
            <tr data-testid="compare-totals">
              <th scope="row" className="px-4 py-2 text-left font-medium">
                Totals
              </th>
              <td className="px-3 py-2">
                <Totals run={c.a} />
              </td>
              <td className="px-3 py-2">
                <Totals run={c.b} />
              </td>
            </tr>
          </tbody>
        </Table>
      </Card>
    </div>
  );
}

function RunSummary({ side, run, other }: { side: 'A' | 'B'; run: ComparedRun; other: ComparedRun }) {
  return (
    <section aria-label={`Run ${side}`} className="rounded-xl border border-zinc-200 px-4 py-3 dark:border-zinc-800" data-testid={`compare-run-${side.toLowerCase()}`}>
      <p className="flex flex-wrap items-center gap-2">
        <span className="flex size-6 items-center justify-center rounded-md bg-zinc-100 text-xs font-semibold dark:bg-zinc-800">{side}</span>
        <span className="font-medium">{run.workflowName}</span>
        <span className="text-xs text-zinc-500">v{run.version}</span>
        <RunStatusBadge status={run.status} />
        <Link href={`/runs/${encodeURIComponent(run.runId)}`} className="ml-auto font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400" title={run.runId}>
          run {shortId(run.runId)}
        </Link>
      </p>
      <dl className="mt-2 grid grid-cols-2 gap-x-3 gap-y-1 text-xs">
        <Fact label="Started">{run.startedAt ? shownDateTime(run.startedAt) : '—'}</Fact>
        <Fact label="Duration">{duration(run.durationMs)}</Fact>
        <Fact label="Tokens in / out">
          {tokens(run.tokens.inputTokens)} / {tokens(run.tokens.outputTokens)}
          {run.tokens.cost !== null && <> · {cost(run.tokens.cost)}</>}
        </Fact>
        <Fact label="Agent calls · reused">
          {run.tokens.agentCalls} · {run.tokens.reused}
        </Fact>
        {run.fork && (
          <Fact label="Forked">
            {run.fork.from === other.runId ? 'from run A' : <>from run {shortId(run.fork.from)}</>} at event #{run.fork.atSeq}
          </Fact>
        )}
        {run.error && (
          <Fact label="Error">
            <span className="break-words">{run.error.reason}</span>
          </Fact>
        )}
      </dl>
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-zinc-500">{label}</dt>
      <dd className="font-mono tabular-nums">{children}</dd>
    </div>
  );
}

function Row({ r, labelOf }: { r: ComparedNode; labelOf: (id: string | null) => string }) {
  const differs = r.differences.length > 0;
  const changed = new Set(r.outputDiff.map((d) => d.path));
  return (
    <TableBody className={cn(r.divergence && 'bg-amber-50/70 dark:bg-amber-950/20')}>
      <tr
        id={`step-${r.nodeId}`}
        data-testid="compare-row"
        data-node-id={r.nodeId}
        data-differs={differs ? 'true' : 'false'}
        data-divergence={r.divergence ? 'true' : 'false'}
        className={cn('align-top', r.divergence && 'outline-2 -outline-offset-2 outline-amber-400')}
      >
        <th scope="row" className="px-4 py-2 text-left font-normal">
          <span className="block font-medium break-words">{r.label}</span>
          {r.kind && <span className="text-xs text-zinc-500">{r.kind}</span>}
          <span className="mt-1 flex flex-wrap gap-1">
            {r.divergence && (
              <Badge tone="warning" data-testid="diverges-here">
                Diverges here
              </Badge>
            )}
            {r.differences.map((d) => (
              <Badge key={d} tone="neutral" data-testid="compare-difference">
                {DIFFERENCE_TEXT[d]}
              </Badge>
            ))}
          </span>
        </th>
        <td className="px-3 py-2">
          <NodeCell n={r.a} changed={changed} labelOf={labelOf} />
        </td>
        <td className="px-3 py-2">
          <NodeCell n={r.b} changed={changed} labelOf={labelOf} />
        </td>
      </tr>
      {r.outputDiff.length > 0 && (
        <tr data-testid="compare-output-diff">
          <td colSpan={3} className="px-4 pb-3 text-xs">
            <span className="text-zinc-500">Output A → B:</span>
            <Changes changes={r.outputDiff} />
          </td>
        </tr>
      )}
    </TableBody>
  );
}

function NodeCell({ n, changed, labelOf }: { n: NodeInRun; changed: Set<string>; labelOf: (id: string | null) => string }) {
  if (n.status === 'not_reached')
    return (
      <Badge tone="neutral" className="opacity-70" data-testid="node-status" data-status={n.status}>
        not reached
      </Badge>
    );
  return (
    <div className="min-w-0 space-y-1 text-xs">
      <p className="flex flex-wrap items-center gap-1">
        <Badge tone={STATUS_TONE[n.status]} data-testid="node-status" data-status={n.status}>
          {STATUS_TEXT[n.status]}
        </Badge>
        {n.decision && <DecisionBadge d={n.decision} labelOf={labelOf} />}
        {n.reused && (
          <Badge tone="info" title="Answered from the origin's recorded output: no agent called" data-testid="node-reused">
            reused
          </Badge>
        )}
      </p>
      <p className="font-mono text-zinc-500 tabular-nums">
        {duration(n.durationMs)}
        {n.attempts > 1 && <> · {n.attempts} attempts</>}
        {n.tokens && (
          <>
            {' '}
            · {tokens(n.tokens.inputTokens)} in / {tokens(n.tokens.outputTokens)} out{n.tokens.cost !== null && <> · {cost(n.tokens.cost)}</>} · {n.tokens.models.join(', ')}
          </>
        )}
      </p>
      {n.error && <p className="break-words text-rose-700 dark:text-rose-300">{n.error}</p>}
      {n.output !== undefined && <JsonView value={n.output} changed={changed} />}
    </div>
  );
}

function DecisionBadge({ d, labelOf }: { d: NodeDecision; labelOf: (id: string | null) => string }) {
  const text = (() => {
    switch (d.kind) {
      case 'route':
        return `route ${d.routeId} → ${labelOf(d.target)}`;
      case 'approval':
        return `${d.decision === 'approve' ? 'approved' : 'rejected'}${d.auto ? ' (auto)' : d.actors.length ? ` by ${d.actors.join(', ')}` : ''}`;
      case 'join':
        return `joined ${d.arrived.length}${d.timedOut ? ' (timed out)' : ''}`;
      case 'error':
        return `error path${d.code ? ` (${d.code})` : ''}`;
      case 'end':
        return d.outcome === 'success' ? 'success end' : 'failure end';
    }
  })();
  const tone: BadgeTone = d.kind === 'error' || (d.kind === 'end' && d.outcome === 'failure') || (d.kind === 'approval' && d.decision === 'reject') ? 'danger' : 'info';
  return (
    <Badge tone={tone} data-testid="node-decision" title={d.kind === 'join' ? `Arrived: ${d.arrived.map((id) => labelOf(id)).join(', ')}` : undefined}>
      {text}
    </Badge>
  );
}

function Changes({ changes }: { changes: JsonChange[] }) {
  return (
    <ul className="mt-1 space-y-0.5 font-mono text-xs">
      {changes.slice(0, 50).map((ch) => (
        <li key={ch.path} className="break-all" data-testid="json-change">
          <span className="text-zinc-500">{ch.path}</span>{' '}
          {ch.kind !== 'added' && <del className="rounded bg-rose-100 px-0.5 text-rose-800 dark:bg-rose-950/60 dark:text-rose-300">{short(ch.before)}</del>}
          {ch.kind === 'changed' && ' → '}
          {ch.kind !== 'removed' && <ins className="rounded bg-emerald-100 px-0.5 text-emerald-800 no-underline dark:bg-emerald-950/60 dark:text-emerald-300">{short(ch.after)}</ins>}
        </li>
      ))}
      {changes.length > 50 && <li className="text-zinc-500">… {changes.length - 50} more</li>}
    </ul>
  );
}

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
};

type Line = { depth: number; text: string; path: string };
const MAX_LINES = 120;

/** A JSON value, one line per field, with the fields at a changed path (or under one) highlighted. */
function JsonView({ value, changed }: { value: unknown; changed: Set<string> }) {
  const lines: Line[] = [];
  const walk = (v: unknown, path: string, depth: number, prefix: string, suffix: string) => {
    if (v !== null && typeof v === 'object') {
      const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
      const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
      if (entries.length === 0) return void lines.push({ depth, text: `${prefix}${open}${close}${suffix}`, path });
      lines.push({ depth, text: `${prefix}${open}`, path });
      entries.forEach(([k, x], i) => walk(x, jsonPath(path, k), depth + 1, typeof k === 'number' ? '' : `${JSON.stringify(k)}: `, i < entries.length - 1 ? ',' : ''));
      lines.push({ depth, text: `${close}${suffix}`, path });
    } else lines.push({ depth, text: `${prefix}${JSON.stringify(v) ?? 'null'}${suffix}`, path });
  };
  walk(value, '', 0, '', '');
  const isChanged = (p: string) => changed.has(p || '(value)') || [...changed].some((c) => p.startsWith(`${c}.`) || p.startsWith(`${c}[`));
  return (
    <pre className="max-h-64 overflow-auto rounded-md bg-zinc-50 py-1 font-mono text-[11px] leading-4 dark:bg-zinc-900" data-testid="node-output">
      {lines.slice(0, MAX_LINES).map((l, i) => (
        <span
          key={i}
          className={cn('block px-2 break-all whitespace-pre-wrap', isChanged(l.path) && 'bg-amber-200/70 dark:bg-amber-800/40')}
          style={{ paddingLeft: `${0.5 + l.depth}rem` }}
          data-changed={isChanged(l.path) ? 'true' : undefined}
        >
          {l.text}
        </span>
      ))}
      {lines.length > MAX_LINES && <span className="block px-2 text-zinc-500">… {lines.length - MAX_LINES} more lines</span>}
    </pre>
  );
}

function Totals({ run }: { run: ComparedRun }) {
  return (
    <span className="font-mono tabular-nums" data-testid="compare-total">
      {duration(run.durationMs)} · {tokens(run.tokens.inputTokens)} in / {tokens(run.tokens.outputTokens)} out
      {run.tokens.cost !== null && <> · {cost(run.tokens.cost)}</>} · {run.tokens.agentCalls} agent calls · {run.tokens.reused} reused
    </span>
  );
}
