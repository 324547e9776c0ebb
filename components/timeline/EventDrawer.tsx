'use client';
/**
 * One event in full: its fields, the envelope version it carried, whether it is as it was written (its
 * hash, its link, and the signed checkpoint that vouches for it; a tampered event is marked
 * unmistakably), its payload as a tree or as text, what caused it and what it caused (links that open
 * those events), and the reasoning path of a run event.
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, type ReactNode } from 'react';
import { Badge, Button, cn, Skeleton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { EventIntegrity } from '@/server/audit';
import type { EventRef } from '@/server/observability';
import { CopyButton, JsonViewer } from './JsonViewer';
import { shownDateTime, shownTime } from './format';

const RELATION: Record<string, string> = {
  causation: 'caused by (causationId)', trigger: 'triggered', flow: 'workflow step', attempt: 'attempt', retry: 'retry', context: 'context it read',
  decision: 'decision', timer: 'timer', failure: 'failure', queue: 'key queue',
};

export function EventDrawer({ seq, onClose, onOpen }: { seq: number; onClose(): void; onOpen(seq: number): void }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.events.detail.queryOptions({ seq }, { staleTime: 10_000 }));
  const integrity = useQuery(trpc.events.integrity.queryOptions({ seq }, { staleTime: 0, retry: false }));
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const e = detail.data?.event;
  return (
    // Below the top bar (57 px), which stays usable: the user menu and the navigation are never covered.
    <aside
      role="dialog"
      aria-modal="false"
      aria-labelledby="event-drawer-title"
      data-testid="event-drawer"
      className="fixed top-[57px] bottom-0 right-0 z-30 flex w-full max-w-xl flex-col border-l border-zinc-200 bg-white shadow-2xl dark:border-zinc-800 dark:bg-zinc-950"
    >
      <header className="flex items-start gap-3 border-b border-zinc-200 px-5 py-4 dark:border-zinc-800">
        <div className="min-w-0 flex-1">
          <p className="font-mono text-xs text-zinc-500">Event #{seq}</p>
          <h2 id="event-drawer-title" className="truncate font-mono text-base font-semibold">
            {e?.type ?? (detail.isError ? 'Not found' : '…')}
          </h2>
        </div>
        {e && <CopyButton text={JSON.stringify(e, null, 2)} label="Copy the event as JSON" />}
        <Button ref={closeRef} size="sm" variant="ghost" onClick={onClose} aria-label="Close the event">
          Close
        </Button>
      </header>
      <div className="min-h-0 flex-1 space-y-5 overflow-y-auto px-5 py-4">
        {detail.isPending && (
          <div className="space-y-3" aria-busy="true" aria-label="Loading the event">
            <Skeleton className="h-4 w-2/3" />
            <Skeleton className="h-4 w-1/2" />
            <Skeleton className="h-40 w-full" />
          </div>
        )}
        {detail.isError && (
          <p role="alert" className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:bg-rose-950/40 dark:text-rose-300">
            {detail.error.message}
          </p>
        )}
        <Integrity state={integrity.data === undefined ? (integrity.isError ? 'error' : 'loading') : integrity.data} />
        {e && (
          <>
            <dl className="grid grid-cols-[8.5rem_1fr] gap-x-3 gap-y-1.5 text-sm">
              <Field label="Committed">
                <time dateTime={e.time} title={e.time}>
                  {shownDateTime(e.time)} <span className="text-zinc-500">{shownTime(e.time).time}</span>
                </time>
              </Field>
              <Field label="Source">
                <Badge tone={e.source.kind === 'agent' ? 'info' : e.source.kind === 'user' ? 'success' : 'neutral'}>
                  <span className="opacity-70">{e.source.kind}</span> {e.source.name}
                </Badge>
              </Field>
              <Field label="Entity key" mono>
                {e.key ?? '—'}
              </Field>
              <Field label="Run" mono>
                {e.runId ? (
                  <Link className="text-indigo-600 hover:underline dark:text-indigo-400" href={`/runs/${encodeURIComponent(e.runId)}`}>
                    {e.runId}
                  </Link>
                ) : (
                  '—'
                )}
                {detail.data?.run && <span className="ml-2 font-sans text-xs text-zinc-500">{detail.data.run.workflowSlug ?? detail.data.run.workflowId} v{detail.data.run.version} · {detail.data.run.status}</span>}
              </Field>
              <Field label="Envelope version">{e.envelopeVersion === null ? '— (no run envelope)' : `v${e.envelopeVersion}`}</Field>
              <Field label="Id" mono>
                {e.id}
              </Field>
              <Field label="Causation id" mono>
                {e.causationId ?? '—'}
              </Field>
              <Field label="Idempotency key" mono>
                {e.idempotencyKey ?? '—'}
              </Field>
              <Field label="Hash" mono>
                <span className="break-all text-xs">{e.hash}</span>
              </Field>
              <Field label="Previous hash" mono>
                <span className="break-all text-xs">{e.prevHash}</span>
              </Field>
            </dl>
            {e.runId && (
              <Link
                href={`/runs/${encodeURIComponent(e.runId)}/path/${e.seq}`}
                className="inline-flex items-center gap-1.5 rounded-md border border-indigo-200 bg-indigo-50 px-3 py-1.5 text-sm font-medium text-indigo-700 hover:bg-indigo-100 dark:border-indigo-900 dark:bg-indigo-950/50 dark:text-indigo-300"
              >
                Reasoning path to this event →
              </Link>
            )}
            <section>
              <h3 className="mb-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">Payload</h3>
              <JsonViewer value={e.payload} label="Payload" testId="drawer-payload" />
            </section>
            <Links title="Caused by" empty="Nothing recorded before it caused this event." refs={detail.data!.causes} onOpen={onOpen} />
            <Links title="Led to" empty="No later event names this one as its cause." refs={detail.data!.effects} onOpen={onOpen} />
          </>
        )}
      </div>
    </aside>
  );
}

function Field({ label, children, mono }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <>
      <dt className="text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className={cn('min-w-0 break-words', mono && 'font-mono text-[13px]')}>{children}</dd>
    </>
  );
}

function Links({ title, empty, refs, onOpen }: { title: string; empty: string; refs: EventRef[]; onOpen(seq: number): void }) {
  return (
    <section>
      <h3 className="mb-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">{title}</h3>
      {refs.length === 0 ? (
        <p className="text-sm text-zinc-500">{empty}</p>
      ) : (
        <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
          {refs.map((r) => (
            <li key={`${r.seq}-${r.relation}`}>
              <button type="button" onClick={() => onOpen(r.seq)} className="flex w-full items-center gap-3 px-3 py-2 text-left text-sm hover:bg-zinc-50 dark:hover:bg-zinc-900">
                <span className="w-14 shrink-0 font-mono text-xs text-zinc-400">#{r.seq}</span>
                <span className="min-w-0 flex-1 truncate font-mono text-[13px]">{r.type}</span>
                <span className="shrink-0 text-xs text-zinc-500">
                  {RELATION[r.relation] ?? r.relation}
                  {r.inferred && (
                    <span className="ml-1 text-amber-600 dark:text-amber-400" title="Reconstructed from the workflow: this event records no cause" data-inferred="true">
                      (inferred)
                    </span>
                  )}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

type IntegrityState = 'loading' | 'error' | null | EventIntegrity;

/**
 * Whether the event is as it was written: its hash, its link to the event before, and the signed
 * checkpoint that vouches for it (the chain from the event to it reproduces the signed hash). A failure
 * is impossible to miss.
 */
function Integrity({ state }: { state: IntegrityState }) {
  if (state === 'loading' || state === null) return null;
  if (state === 'error') return <p className="text-xs text-zinc-500">Integrity could not be checked (your role may not allow it).</p>;
  if (state.ok)
    return (
      <div
        data-testid="event-integrity"
        data-state="ok"
        data-vouched-by={state.vouchedBy?.seq ?? ''}
        className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:bg-emerald-950/40 dark:text-emerald-300"
      >
        <p className="flex items-center gap-2">
          <span aria-hidden>✓</span>
          {state.vouchedBy ? (
            <span>
              Verified: vouched for by <b>checkpoint #{state.vouchedBy.number}</b> (seq{' '}
              <Link href={`/timeline?seq=${state.vouchedBy.seq}&event=${state.vouchedBy.seq}`} className="font-mono underline">
                {state.vouchedBy.seq}
              </Link>
              , signed at <time dateTime={state.vouchedBy.signedAt}>{shownDateTime(state.vouchedBy.signedAt)}</time>).
            </span>
          ) : (
            <span>Hash verified: the content matches its hash and it links to the event before it.</span>
          )}
        </p>
        <p className="mt-0.5 pl-6 text-xs opacity-80">
          {state.vouchedBy
            ? `Its content matches its hash, and the chain from it to seq ${state.vouchedBy.seq} reproduces the hash signed there with key ${state.vouchedBy.keyId}.`
            : 'No checkpoint is signed at or after it yet: the next one will vouch for it.'}
        </p>
      </div>
    );
  return (
    <div role="alert" data-testid="event-integrity" data-state="tampered" className="rounded-lg border-2 border-rose-600 bg-rose-50 px-4 py-3 text-rose-900 dark:bg-rose-950/60 dark:text-rose-100">
      <p className="text-base font-bold tracking-wide">⚠ TAMPERED</p>
      <ul className="mt-1 list-disc space-y-0.5 pl-5 text-sm">
        {!state.hashOk && <li>Its content no longer matches the hash recorded when it was written: it was edited.</li>}
        {!state.linkOk && <li>{state.previousMissing ? 'The event before it is missing: a row was deleted.' : 'It does not link to the event before it: rows were replaced or reordered.'}</li>}
        {state.problems.map((p) => (
          <li key={p.code} data-problem={p.code}>
            {p.message}
          </li>
        ))}
      </ul>
      <p className="mt-1 text-xs">No signed checkpoint vouches for this event as it is now.</p>
      {!state.hashOk && (
        <dl className="mt-2 grid grid-cols-[6rem_1fr] gap-x-2 font-mono text-[11px] break-all">
          <dt>recorded</dt>
          <dd>{state.storedHash}</dd>
          <dt>content</dt>
          <dd>{state.computedHash}</dd>
        </dl>
      )}
    </div>
  );
}
