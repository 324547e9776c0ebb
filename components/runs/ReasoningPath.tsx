'use client';
/**
 * The reasoning path of one result: the chain of steps it depends on, from the user's intent and the
 * trigger to the event asked about, each with who acted, what it was given, what it produced, the
 * envelope version it read and when. Laid out to be read on screen and printed whole (print styles
 * expand every value and drop the navigation). Links between steps are read from the log (each event names
 * its cause); a link reconstructed from the workflow, for events recorded before they named causes, is
 * marked "inferred".
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Badge, type BadgeTone, Button, cn, Skeleton, Table, TableHead, Th } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { JsonViewer } from '@/components/timeline/JsonViewer';
import { duration, shortId, shownDateTime, shownTime } from '@/components/timeline/format';
import type { Hop } from '@/server/observability';
import { useLiveRefresh } from './useLiveRefresh';

const KIND: Record<string, { label: string; tone: BadgeTone }> = {
  trigger: { label: 'Trigger', tone: 'info' }, start: { label: 'Intent', tone: 'info' }, queue: { label: 'Queue', tone: 'neutral' }, agent: { label: 'Agent', tone: 'success' },
  approval: { label: 'Approval', tone: 'warning' }, join: { label: 'Join', tone: 'neutral' }, router: { label: 'Route', tone: 'neutral' }, fanOut: { label: 'Fan-out', tone: 'neutral' },
  delay: { label: 'Delay', tone: 'neutral' }, setContext: { label: 'Set context', tone: 'neutral' }, end: { label: 'End', tone: 'success' }, context: { label: 'Context change', tone: 'warning' },
  event: { label: 'Event', tone: 'neutral' },
};

const INFERRED_TITLE = 'Not recorded in the log: this event was written before events named their cause, so the link is inferred from the workflow.';

const RELATION: Record<string, string> = {
  causation: 'caused', trigger: 'triggered', flow: 'came after', attempt: 'attempt of', retry: 'retry after', context: 'read context from', decision: 'decision on', timer: 'timer of', failure: 'failure in', queue: 'queued after',
};

export function ReasoningPath({ runId, eventRef }: { runId: string; eventRef: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.runs.path.queryOptions({ runId, event: eventRef }, { staleTime: 5_000, retry: false }));
  useLiveRefresh({ queryKey: trpc.runs.path.queryKey({ runId, event: eventRef }), runId, throttleMs: 500 });
  if (q.isPending)
    return (
      <div className="space-y-3" aria-busy="true" aria-label="Loading the reasoning path">
        <Skeleton className="h-24 rounded-xl" />
        {Array.from({ length: 4 }, (_, i) => (
          <Skeleton key={i} className="h-32 rounded-xl" />
        ))}
      </div>
    );
  if (q.isError)
    return (
      <div role="alert" className="rounded-xl border border-rose-200 bg-rose-50 px-5 py-6 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300">
        <p className="font-medium">Could not build the reasoning path</p>
        <p className="mt-1">{q.error.message}</p>
        <Link href={`/runs/${encodeURIComponent(runId)}`} className="mt-2 inline-block underline">
          Back to the run
        </Link>
      </div>
    );
  const p = q.data;
  const number = new Map(p.hops.map((h, i) => [h.id, i + 1]));
  const start = p.hops.find((h) => h.kind === 'start');
  return (
    <article className="space-y-5 print:space-y-3" data-testid="reasoning-path">
      <header className="flex flex-wrap items-start gap-4">
        <div className="min-w-0">
          <p className="text-xs text-zinc-500 print:hidden">
            <Link href="/runs" className="hover:underline">
              Runs
            </Link>{' '}
            /{' '}
            <Link href={`/runs/${encodeURIComponent(runId)}`} className="font-mono hover:underline">
              {shortId(runId)}
            </Link>{' '}
            / reasoning path
          </p>
          <h1 className="mt-1 text-xl font-semibold tracking-tight">Reasoning path of #{p.target.seq} <span className="font-mono text-base">{p.target.type}</span></h1>
          <p className="mt-1 text-sm text-zinc-500">
            Run <span className="font-mono break-all">{runId}</span>
            {p.workflow && (
              <>
                {' '}
                of {p.workflow.name ?? p.workflow.slug} v{p.workflow.version}
              </>
            )}
            {p.startedBy && <> · started by {p.startedBy}</>}
          </p>
        </div>
        <div className="ml-auto flex flex-wrap items-center gap-2 print:hidden">
          {p.complete ? (
            <Badge tone="success" data-testid="path-complete">
              Complete: every step traced to the trigger
            </Badge>
          ) : (
            <Badge tone="danger" data-testid="path-incomplete">
              Incomplete
            </Badge>
          )}
          {p.links.inferred > 0 && (
            <Badge tone="warning" data-testid="path-inferred" title={INFERRED_TITLE}>
              {p.links.inferred} {p.links.inferred === 1 ? 'link' : 'links'} inferred
            </Badge>
          )}
          <Button size="sm" onClick={() => window.print()}>
            Print or save as PDF
          </Button>
        </div>
      </header>

      <section className="rounded-xl border-l-4 border-indigo-500 bg-indigo-50/60 px-5 py-4 dark:bg-indigo-950/30 print:bg-transparent" data-testid="path-intent">
        <p className="text-xs font-semibold tracking-wide text-indigo-700 uppercase dark:text-indigo-300">The user’s intent</p>
        <p className="mt-1 text-lg">{p.intent ?? <span className="text-zinc-500">No intent was given when the run started.</span>}</p>
        {start && (
          <p className="mt-1 text-xs text-zinc-500">
            Stated by {start.actor.name} at {shownDateTime(start.startedAt)}; {p.hops.length} steps lead from it to #{p.target.seq}.
          </p>
        )}
      </section>

      {p.gaps.length > 0 && (
        <ul role="alert" className="rounded-lg border border-rose-300 bg-rose-50 px-4 py-3 text-sm text-rose-800 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300">
          {p.gaps.map((g) => (
            <li key={g}>⚠ {g}</li>
          ))}
        </ul>
      )}

      <ol className="relative space-y-3 before:absolute before:top-2 before:bottom-2 before:left-[1.05rem] before:w-px before:bg-zinc-200 dark:before:bg-zinc-800 print:before:hidden">
        {p.hops.map((h, i) => (
          <HopCard key={h.id} hop={h} n={i + 1} number={number} target={h.id === p.targetHop} runId={runId} />
        ))}
      </ol>

      {p.versions.length > 0 && (
        <section className="break-before-page space-y-2">
          <h2 className="text-sm font-semibold">Context envelope versions read along the path</h2>
          <div className="space-y-3">
            {p.versions.map((v) => (
              <div key={v.version} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
                <p className="mb-2 text-xs text-zinc-500">
                  <span className="font-mono font-medium text-zinc-900 dark:text-zinc-100">v{v.version}</span> · {v.reason ?? (v.version === 1 ? 'opened' : 'patched')} by {v.source.kind} {v.source.name} · event #{v.seq} ·{' '}
                  {shownDateTime(v.time)}
                </p>
                <JsonViewer value={{ intent: v.intent, constraints: v.constraints, deadline: v.deadline, state: v.state }} label={`Envelope v${v.version}`} defaultMode="text" />
              </div>
            ))}
          </div>
        </section>
      )}
      <footer className="hidden text-xs text-zinc-500 print:block">
        Printed {new Date().toISOString()} from Spine. Every step above is an event in the hash-chained log; event seqs are given so each can be checked in an audit export.
      </footer>
    </article>
  );
}

function HopCard({ hop, n, number, target, runId }: { hop: Hop; n: number; number: Map<string, number>; target: boolean; runId: string }) {
  const kind = KIND[hop.kind] ?? KIND.event!;
  return (
    <li className="relative break-inside-avoid pl-10" data-testid="path-hop" data-hop-id={hop.id} data-kind={hop.kind}>
      <span
        className={cn(
          'absolute top-3 left-0 grid size-[2.1rem] place-items-center rounded-full border-2 bg-white text-xs font-semibold dark:bg-zinc-950',
          target ? 'border-indigo-600 text-indigo-700 dark:text-indigo-300' : 'border-zinc-300 text-zinc-600 dark:border-zinc-700 dark:text-zinc-300',
        )}
        aria-hidden
      >
        {n}
      </span>
      <div className={cn('rounded-xl border bg-white px-4 py-3 shadow-xs dark:bg-zinc-900/60', target ? 'border-indigo-400 ring-1 ring-indigo-400' : 'border-zinc-200 dark:border-zinc-800')}>
        <div className="flex flex-wrap items-center gap-2">
          <Badge tone={kind.tone}>{kind.label}</Badge>
          <h3 className="font-medium">{hop.label}</h3>
          {target && <Badge tone="info">the event asked about</Badge>}
          <span className="ml-auto text-xs text-zinc-500 tabular-nums">
            {shownTime(hop.startedAt).time}
            {hop.endedAt !== hop.startedAt && <> – {shownTime(hop.endedAt).time}</>} · {duration(hop.durationMs)}
          </span>
        </div>
        <dl className="mt-2 grid grid-cols-[7rem_1fr] gap-x-3 gap-y-1 text-sm">
          <Row label="Who">
            <span className="font-medium">{hop.actor.name}</span> <span className="text-xs text-zinc-500">({hop.actor.kind})</span>
          </Row>
          <Row label="Envelope">{hop.envelopeVersion === null ? '—' : `v${hop.envelopeVersion}`}</Row>
          {hop.causes.length > 0 && (
            <Row label="Because of">
              {hop.causes.map((c, i) => (
                <span key={c.hop} data-testid="hop-cause" data-inferred={c.inferred}>
                  {i > 0 && ', '}
                  <span className="text-zinc-500">{RELATION[c.relation] ?? c.relation}</span> step {number.get(c.hop) ?? '?'}
                  {c.inferred && (
                    <span className="ml-1 text-xs text-amber-700 italic dark:text-amber-400" title={INFERRED_TITLE}>
                      (inferred)
                    </span>
                  )}
                </span>
              ))}
            </Row>
          )}
          <Row label="Events">
            <span className="font-mono text-xs">
              {hop.events.map((s, i) => (
                <span key={s}>
                  {i > 0 && ' '}
                  <Link href={`/timeline?run=${encodeURIComponent(runId)}&event=${s}&seq=${s}`} className="text-indigo-600 hover:underline dark:text-indigo-400">
                    #{s}
                  </Link>
                </span>
              ))}
            </span>
          </Row>
          {Object.entries(hop.detail).map(([k, v]) =>
            v === null || (typeof v === 'object' && Object.keys(v as object).length === 0) ? null : (
              <Row key={k} label={k}>
                <span className="break-words">{typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)}</span>
              </Row>
            ),
          )}
        </dl>
        {hop.attempts.length > 1 && (
          <Table label="Attempts" dense scrollClassName="mt-2">
            <TableHead dense>
              <Th className="py-1">Attempt</Th>
              <Th className="py-1">Outcome</Th>
              <Th className="py-1">Envelope</Th>
              <Th className="py-1">Took</Th>
              <Th className="py-1">Note</Th>
            </TableHead>
            <tbody>
              {hop.attempts.map((a) => (
                <tr key={a.attempt} className="border-t border-zinc-100 dark:border-zinc-800">
                  <td className="py-1">#{a.attempt}</td>
                  <td className={cn('py-1', a.outcome === 'failed' && 'text-rose-600', a.outcome === 'stale' && 'text-amber-600')}>{a.outcome}</td>
                  <td className="py-1">v{a.envelopeVersion}</td>
                  <td className="py-1">{duration(a.durationMs)}</td>
                  <td className="py-1">{a.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        {hop.attempts.some((a) => a.tools?.length) && (
          <Table label="Tool calls" dense scrollClassName="mt-2" testId="tool-calls">
            <TableHead dense>
              <Th className="py-1">Attempt</Th>
              <Th className="py-1">Round</Th>
              <Th className="py-1">Tool</Th>
              <Th className="py-1">Arguments</Th>
              <Th className="py-1">Returned</Th>
              <Th className="py-1">Took</Th>
            </TableHead>
            <tbody>
              {hop.attempts.flatMap((a) =>
                (a.tools ?? []).map((t) => (
                  <tr key={t.seq} className="border-t border-zinc-100 dark:border-zinc-800" data-testid="tool-call">
                    <td className="py-1">#{a.attempt}</td>
                    <td className="py-1">{t.round}</td>
                    <td className="py-1 font-medium">
                      <Link href={`/timeline?run=${encodeURIComponent(runId)}&event=${t.seq}&seq=${t.seq}`} className="hover:underline">
                        {t.tool}
                      </Link>
                    </td>
                    <td className="py-1 font-mono text-xs break-all">{JSON.stringify(t.arguments)}</td>
                    <td className={cn('py-1 font-mono text-xs break-all', t.error && 'text-rose-600')}>{t.error ?? JSON.stringify(t.output)}</td>
                    <td className="py-1">{duration(t.durationMs)}</td>
                  </tr>
                )),
              )}
            </tbody>
          </Table>
        )}
        {(hop.inputs !== null || hop.outputs !== null) && (
          <div className="mt-3 grid gap-3 md:grid-cols-2 print:grid-cols-1">
            {hop.inputs !== null && (
              <div>
                <p className="mb-1 text-xs font-semibold text-zinc-500 uppercase">Given</p>
                <JsonViewer value={hop.inputs} label={`Input of step ${n}`} defaultMode="text" />
              </div>
            )}
            {hop.outputs !== null && (
              <div>
                <p className="mb-1 text-xs font-semibold text-zinc-500 uppercase">Produced</p>
                <JsonViewer value={hop.outputs} label={`Output of step ${n}`} defaultMode="text" testId={target ? 'target-output' : undefined} />
              </div>
            )}
          </div>
        )}
      </div>
    </li>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{label}</dt>
      <dd className="min-w-0">{children}</dd>
    </>
  );
}
