'use client';
/**
 * Audit: export a run or a range of the log with its hash chain and signed checkpoints, verify the log's
 * integrity over a range (the chain and the signed checkpoints: the first broken seq, unmistakably, or
 * the checkpoint that vouches for the range), and the signing key and checkpoints that let anyone check
 * an export offline with `npx spine-verify`. Signing a checkpoint by hand is shown to admins only.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Badge, Button, Card, CardContent, CardDescription, CardHeader, CardTitle, cn, Skeleton, Table, TableBody, TableHead, Th } from '@/components/ui';
import { useActor } from '@/components/auth/useActor';
import { useTRPC } from '@/components/trpc/client';
import { CopyButton } from '@/components/timeline/JsonViewer';
import { count, duration, shownDateTime } from '@/components/timeline/format';
import { parseInstant } from '@/components/timeline/filters';
import { useLiveRefresh } from '@/components/runs/useLiveRefresh';

const INPUT = 'h-9 w-full rounded-md border border-zinc-200 bg-white px-2.5 text-sm focus:border-indigo-500 focus:outline-none dark:border-zinc-800 dark:bg-zinc-900';
type Scope = 'run' | 'seq' | 'time' | 'all';

export function AuditPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Audit</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
          Every event is hash-chained to the one before it, and the chain’s head is signed at intervals with a key kept outside the database. Export any part of it and check it anywhere.
        </p>
      </div>
      <div className="grid gap-5 lg:grid-cols-2">
        <ExportCard />
        <VerifyCard />
      </div>
      <KeyCard />
    </div>
  );
}

function exportHref(scope: Scope, v: { runId: string; from: string; to: string; since: string; until: string }, format: 'jsonl' | 'csv'): string | null {
  const p = new URLSearchParams({ format });
  if (scope === 'run') {
    if (!v.runId.trim()) return null;
    p.set('runId', v.runId.trim());
  } else if (scope === 'seq') {
    if (v.from && !/^\d+$/.test(v.from)) return null;
    if (v.to && !/^\d+$/.test(v.to)) return null;
    if (v.from) p.set('from', v.from);
    if (v.to) p.set('to', v.to);
  } else if (scope === 'time') {
    const since = parseInstant(v.since);
    const until = parseInstant(v.until);
    if (since === null && until === null) return null;
    if (since !== null) p.set('since', new Date(since).toISOString());
    if (until !== null) p.set('until', new Date(until).toISOString());
  }
  return `/api/v1/audit/export?${p.toString()}`;
}

function ExportCard() {
  const [scope, setScope] = useState<Scope>('run');
  const [format, setFormat] = useState<'jsonl' | 'csv'>('jsonl');
  const [v, setV] = useState({ runId: '', from: '', to: '', since: '', until: '' });
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => setV((x) => ({ ...x, [k]: e.target.value }));
  const href = exportHref(scope, v, format);
  return (
    <Card>
      <CardHeader>
        <div>
          <CardTitle>Export</CardTitle>
          <CardDescription>Events with their hash chain, signed checkpoints, a verification summary and a signed trailer</CardDescription>
        </div>
      </CardHeader>
      <CardContent className="space-y-4">
        <fieldset>
          <legend className="mb-1.5 text-xs font-medium text-zinc-500">What</legend>
          <div className="flex flex-wrap gap-1.5" role="radiogroup">
            {(
              [
                ['run', 'A run'],
                ['seq', 'A seq range'],
                ['time', 'A time range'],
                ['all', 'The whole log'],
              ] as const
            ).map(([id, label]) => (
              <label key={id} className={cn('cursor-pointer rounded-full border px-3 py-1 text-xs', scope === id ? 'border-indigo-500 bg-indigo-50 text-indigo-700 dark:bg-indigo-950/50 dark:text-indigo-300' : 'border-zinc-200 dark:border-zinc-800')}>
                <input type="radio" name="scope" value={id} checked={scope === id} onChange={() => setScope(id)} className="sr-only" />
                {label}
              </label>
            ))}
          </div>
        </fieldset>
        {scope === 'run' && (
          <Labeled label="Run id">
            <input className={cn(INPUT, 'font-mono')} value={v.runId} onChange={set('runId')} placeholder="e.g. 0190f3c2-…" name="runId" />
          </Labeled>
        )}
        {scope === 'seq' && (
          <div className="grid grid-cols-2 gap-3">
            <Labeled label="From seq">
              <input className={cn(INPUT, 'font-mono')} inputMode="numeric" value={v.from} onChange={set('from')} placeholder="1" name="from" />
            </Labeled>
            <Labeled label="To seq">
              <input className={cn(INPUT, 'font-mono')} inputMode="numeric" value={v.to} onChange={set('to')} placeholder="the head" name="to" />
            </Labeled>
          </div>
        )}
        {scope === 'time' && (
          <div className="grid grid-cols-2 gap-3">
            <Labeled label="From">
              <input type="datetime-local" step="1" className={INPUT} value={v.since} onChange={set('since')} name="since" />
            </Labeled>
            <Labeled label="To">
              <input type="datetime-local" step="1" className={INPUT} value={v.until} onChange={set('until')} name="until" />
            </Labeled>
          </div>
        )}
        <fieldset className="flex items-center gap-4 text-sm">
          <legend className="sr-only">Format</legend>
          {(['jsonl', 'csv'] as const).map((f) => (
            <label key={f} className="flex items-center gap-1.5">
              <input type="radio" name="format" value={f} checked={format === f} onChange={() => setFormat(f)} />
              {f === 'jsonl' ? 'JSONL' : 'CSV (spreadsheets)'}
            </label>
          ))}
        </fieldset>
        <div className="flex flex-wrap items-center gap-3">
          {href ? (
            <a href={href} download data-testid="export-download" className="inline-flex h-9 items-center rounded-md bg-zinc-900 px-3.5 text-sm font-medium text-white hover:bg-zinc-700 dark:bg-zinc-100 dark:text-zinc-900">
              Download export
            </a>
          ) : (
            <Button variant="primary" disabled>
              Download export
            </Button>
          )}
          <span className="text-xs text-zinc-500">A checkpoint of the head is signed as the export starts.</span>
        </div>
        <p className="rounded-md bg-zinc-50 px-3 py-2 text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-300">
          Check a download offline, without Spine: <code className="font-mono">npx spine-verify &lt;file&gt; --pubkey audit-public-key.pem</code>. It recomputes every hash, checks each checkpoint’s
          signature against the key, and names the first seq that was edited, deleted, swapped, cut off or rewritten.
        </p>
      </CardContent>
    </Card>
  );
}

function VerifyCard() {
  const trpc = useTRPC();
  const [form, setForm] = useState({ from: '', to: '' });
  const [range, setRange] = useState<{ from?: number; to?: number } | null>(null);
  const q = useQuery(trpc.audit.verify.queryOptions(range ?? {}, { enabled: range !== null, staleTime: 0, gcTime: 0, retry: false }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const from = /^\d+$/.test(form.from) ? Number(form.from) : undefined;
    const to = /^\d+$/.test(form.to) ? Number(form.to) : undefined;
    const next = { ...(from && { from }), ...(to && { to }) };
    setRange(next);
    if (range && JSON.stringify(range) === JSON.stringify(next)) void q.refetch();
  };
  const r = q.data;
  return (
    <Card>
      <CardHeader>
        <div>
          <CardTitle>Verify integrity</CardTitle>
          <CardDescription>Recompute the hash chain, check the signed checkpoints against it, and name the checkpoint that vouches for the range</CardDescription>
        </div>
      </CardHeader>
      <CardContent className="space-y-4">
        <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Verify a range">
          <Labeled label="From seq">
            <input className={cn(INPUT, 'w-28 font-mono')} inputMode="numeric" placeholder="1" value={form.from} onChange={(e) => setForm((f) => ({ ...f, from: e.target.value }))} name="verifyFrom" />
          </Labeled>
          <Labeled label="To seq">
            <input className={cn(INPUT, 'w-28 font-mono')} inputMode="numeric" placeholder="the head" value={form.to} onChange={(e) => setForm((f) => ({ ...f, to: e.target.value }))} name="verifyTo" />
          </Labeled>
          <Button type="submit" variant="primary" disabled={q.isFetching} data-testid="verify-button">
            {q.isFetching ? 'Verifying…' : 'Verify integrity'}
          </Button>
        </form>
        {q.isError && (
          <p role="alert" className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:bg-rose-950/40 dark:text-rose-300">
            {q.error.message}
          </p>
        )}
        {q.isFetching && !r && <Skeleton className="h-24 w-full" />}
        {r && !q.isFetching && (
          r.ok ? (
            <div data-testid="verify-result" data-state="ok" className="rounded-lg border border-emerald-300 bg-emerald-50 px-4 py-3 text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-200">
              <p className="text-base font-semibold">✓ Intact</p>
              <p className="mt-1 text-sm">
                {count(r.chain.checked)} events from #{r.fromSeq} to #{r.chain.toSeq} recomputed; every hash matches and links to the one before. {r.checkpoints.matching} signed checkpoint
                {r.checkpoints.matching === 1 ? '' : 's'} agree{r.checkpoints.matching === 1 ? 's' : ''} with the chain.
              </p>
              {r.vouchedBy && (
                <p className="mt-1 text-sm" data-testid="verify-vouched-by">
                  Vouched for by <b>checkpoint #{r.vouchedBy.number}</b> (seq{' '}
                  <Link href={`/timeline?seq=${r.vouchedBy.seq}&event=${r.vouchedBy.seq}`} className="font-mono underline">
                    {r.vouchedBy.seq}
                  </Link>
                  , signed at {shownDateTime(r.vouchedBy.signedAt)}, key <span className="font-mono">{r.vouchedBy.keyId}</span>, hash{' '}
                  <span className="font-mono" title={r.vouchedBy.hash}>
                    {r.vouchedBy.hash.slice(0, 12)}…
                  </span>
                  ).
                </p>
              )}
              {r.unvouched && (
                <p className="mt-1 text-sm" data-testid="verify-unvouched">
                  Seq {r.unvouched.fromSeq} to {r.unvouched.toSeq} {r.unvouched.fromSeq === r.unvouched.toSeq ? 'comes' : 'come'} after the latest signed checkpoint: checked by the chain only until the next
                  checkpoint is signed.
                </p>
              )}
            </div>
          ) : (
            <div role="alert" data-testid="verify-result" data-state="tampered" className="rounded-lg border-2 border-rose-600 bg-rose-50 px-4 py-3 text-rose-900 dark:bg-rose-950/60 dark:text-rose-100">
              <p className="text-lg font-bold">⚠ TAMPERED{r.firstBadSeq !== null && <> at seq <span data-testid="first-bad-seq">{r.firstBadSeq}</span></>}</p>
              <ul className="mt-1 list-disc space-y-0.5 pl-5 text-sm">
                {r.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
              {r.firstBadSeq !== null && r.firstBadSeq <= r.head && (
                <Link href={`/timeline?event=${r.firstBadSeq}&seq=${r.firstBadSeq}`} className="mt-2 inline-block text-sm font-medium underline">
                  Open event #{r.firstBadSeq} in the timeline
                </Link>
              )}
            </div>
          )
        )}
        {!r && !q.isFetching && !q.isError && <p className="text-sm text-zinc-500">Leave both empty to verify the whole log.</p>}
      </CardContent>
    </Card>
  );
}

function KeyCard() {
  const trpc = useTRPC();
  const { can } = useActor();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.audit.status.queryOptions(undefined, { staleTime: 5_000 }));
  const checkpoints = useQuery(trpc.audit.checkpoints.queryOptions({ limit: 20 }, { staleTime: 5_000 }));
  useLiveRefresh({ queryKey: trpc.audit.checkpoints.queryKey(), types: ['audit.*'], throttleMs: 500 });
  useLiveRefresh({ queryKey: trpc.audit.status.queryKey(), types: ['audit.*'], throttleMs: 500 });
  const sign = useMutation(
    trpc.audit.signNow.mutationOptions({
      onSettled: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.audit.status.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.audit.checkpoints.queryKey() });
      },
    }),
  );
  const s = status.data;
  return (
    <Card>
      <CardHeader>
        <div>
          <CardTitle>Signing key and checkpoints</CardTitle>
          <CardDescription>Ed25519; the private key lives in a file outside the database</CardDescription>
        </div>
        <div className="ml-auto flex gap-2">
          <a href="/api/v1/audit/public-key" download className="inline-flex h-8 items-center rounded-md border border-zinc-200 px-2.5 text-xs font-medium hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800">
            Download public key
          </a>
          {/* Signing appends to the log: admins only (the server refuses everyone else). */}
          {can('admin') && (
            <Button size="sm" onClick={() => sign.mutate()} disabled={sign.isPending}>
              Sign a checkpoint now
            </Button>
          )}
        </div>
      </CardHeader>
      <CardContent className="space-y-4">
        {status.isError && <p className="text-sm text-rose-600">{status.error.message}</p>}
        {sign.isError && <p className="text-sm text-rose-600">{sign.error.message}</p>}
        {!s ? (
          <Skeleton className="h-20 w-full" />
        ) : (
          <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
            <dl className="grid min-w-0 grid-cols-[8rem_minmax(0,1fr)] gap-x-3 gap-y-1.5 text-sm">
              <Item label="Key id">
                <span className="font-mono" data-testid="key-id">
                  {s.keyId}
                </span>
              </Item>
              <Item label="Checkpoints">
                every {count(s.everyEvents)} events, or at the first commit {duration(s.everyMs)} after the last
              </Item>
              <Item label="Latest">
                {s.last ? (
                  <>
                    seq <span className="font-mono">#{s.last.seq}</span> · {shownDateTime(s.last.signedAt)} · {s.last.reason}
                  </>
                ) : (
                  'none yet'
                )}
              </Item>
            </dl>
            <div>
              <div className="mb-1 flex items-center">
                <span className="text-xs text-zinc-500">Public key (PEM)</span>
                <CopyButton text={s.publicKeyPem} label="Copy the public key" className="ml-auto">
                  Copy
                </CopyButton>
              </div>
              <pre className="overflow-x-auto rounded-md bg-zinc-50 px-3 py-2 font-mono text-[11px] dark:bg-zinc-950">{s.publicKeyPem}</pre>
            </div>
          </div>
        )}
        {s?.lastError && (
          <p role="alert" className="rounded-lg border-2 border-rose-600 bg-rose-50 px-4 py-2 text-sm text-rose-900 dark:bg-rose-950/60 dark:text-rose-100">
            <b>Checkpoint signing stopped</b> at {shownDateTime(s.lastError.at)}: {s.lastError.message}. Nothing is signed over a chain that does not verify.
          </p>
        )}
        <div>
          <Table testId="checkpoints">
            <TableHead>
              <Th className="py-1.5 pr-3">Seq</Th>
              <Th className="py-1.5 pr-3">Signed</Th>
              <Th className="py-1.5 pr-3">Why</Th>
              <Th className="py-1.5 pr-3">Chain hash</Th>
              <Th className="py-1.5">Key</Th>
            </TableHead>
            <TableBody>
              {checkpoints.data?.map((c) => (
                <tr key={c.signature}>
                  <td className="py-1.5 pr-3">
                    <Link href={`/timeline?seq=${c.seq}&event=${c.seq}`} className="font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400">
                      #{c.seq}
                    </Link>
                  </td>
                  <td className="py-1.5 pr-3 text-xs text-zinc-500">{shownDateTime(c.signedAt)}</td>
                  <td className="py-1.5 pr-3">
                    <Badge>{c.reason}</Badge>
                  </td>
                  <td className="py-1.5 pr-3 font-mono text-xs text-zinc-500" title={c.hash}>
                    {c.hash.slice(0, 16)}…
                  </td>
                  <td className="py-1.5 font-mono text-xs text-zinc-500">{c.keyId}</td>
                </tr>
              ))}
            </TableBody>
          </Table>
          {checkpoints.data?.length === 0 && <p className="py-6 text-center text-sm text-zinc-500">No checkpoint signed yet: one is signed at the first commit.</p>}
        </div>
      </CardContent>
    </Card>
  );
}

function Labeled({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="block">
      <span className="mb-1 block text-xs font-medium text-zinc-500">{label}</span>
      {children}
    </label>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{label}</dt>
      <dd className="min-w-0">{children}</dd>
    </>
  );
}
