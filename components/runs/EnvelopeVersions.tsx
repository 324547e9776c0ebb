'use client';
/**
 * The run's context envelope through time: every version (who changed it, why, when) and the difference
 * between any two. Versions are rebuilt on the server from the run's own events.
 */
import { useState } from 'react';
import { cn } from '@/components/ui';
import { JsonViewer } from '@/components/timeline/JsonViewer';
import { shownTime } from '@/components/timeline/format';
import type { EnvelopeVersion } from '@/server/observability';
import { jsonDiff, type JsonChange } from './jsonDiff';

const SELECT = 'h-8 rounded-md border border-zinc-200 bg-white px-2 text-sm dark:border-zinc-800 dark:bg-zinc-900';

function whole(v: EnvelopeVersion) {
  return { intent: v.intent, constraints: v.constraints, deadline: v.deadline, state: v.state };
}

export function EnvelopeVersions({ versions, omitted }: { versions: EnvelopeVersion[]; omitted: number }) {
  const latest = versions[versions.length - 1]?.version ?? 1;
  const [pick, setPick] = useState<{ from: number; to: number } | null>(null);
  const to = pick?.to ?? latest;
  const from = pick?.from ?? Math.max(1, latest - 1);
  if (versions.length === 0) return <p className="px-5 py-8 text-center text-sm text-zinc-500">This run has no context envelope.</p>;
  const a = versions.find((v) => v.version === from) ?? versions[0]!;
  const b = versions.find((v) => v.version === to) ?? versions[versions.length - 1]!;
  const changes = jsonDiff(whole(a), whole(b));
  return (
    <div className="grid gap-4 px-5 py-4 lg:grid-cols-[16rem_1fr]">
      <ol className="space-y-1" aria-label="Envelope versions" data-testid="envelope-versions">
        {versions.map((v) => (
          <li key={v.version}>
            <button
              type="button"
              onClick={() => setPick({ from: Math.max(1, v.version - 1), to: v.version })}
              aria-current={v.version === to ? 'true' : undefined}
              className={cn('w-full rounded-md px-2.5 py-1.5 text-left text-sm', v.version === to ? 'bg-indigo-50 dark:bg-indigo-950/50' : 'hover:bg-zinc-50 dark:hover:bg-zinc-900')}
            >
              <span className="font-mono font-medium">v{v.version}</span>
              <span className="ml-2 text-xs text-zinc-500">
                {v.reason ?? (v.version === 1 ? 'opened' : 'patched')} by {v.source.name}
              </span>
              <span className="block font-mono text-[11px] text-zinc-400">
                #{v.seq} · {shownTime(v.time).time}
              </span>
            </button>
          </li>
        ))}
        {omitted > 0 && <li className="px-2.5 text-xs text-zinc-500">{omitted} more versions not listed</li>}
      </ol>
      <div className="min-w-0 space-y-3">
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <span>Compare</span>
          <select aria-label="From version" className={SELECT} value={from} onChange={(e) => setPick({ from: Number(e.target.value), to })}>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
          <span>with</span>
          <select aria-label="To version" className={SELECT} value={to} onChange={(e) => setPick({ from, to: Number(e.target.value) })}>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
        </div>
        <DiffList changes={changes} from={from} to={to} />
        <details>
          <summary className="cursor-pointer text-sm text-zinc-600 dark:text-zinc-300">The whole envelope at v{to}</summary>
          <JsonViewer className="mt-2" value={whole(b)} label={`Envelope v${to}`} />
        </details>
      </div>
    </div>
  );
}

function DiffList({ changes, from, to }: { changes: JsonChange[]; from: number; to: number }) {
  if (from === to) return <p className="text-sm text-zinc-500">Pick two different versions.</p>;
  if (changes.length === 0) return <p className="text-sm text-zinc-500">No difference between v{from} and v{to}.</p>;
  return (
    <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 font-mono text-xs dark:divide-zinc-800 dark:border-zinc-800" data-testid="envelope-diff">
      {changes.map((c) => (
        <li key={c.path} className="grid grid-cols-[1.5rem_minmax(8rem,14rem)_1fr] gap-2 px-3 py-1.5">
          <span aria-label={c.kind} className={cn('font-bold', c.kind === 'added' ? 'text-emerald-600' : c.kind === 'removed' ? 'text-rose-600' : 'text-amber-600')}>
            {c.kind === 'added' ? '+' : c.kind === 'removed' ? '−' : '~'}
          </span>
          <span className="truncate" title={c.path}>
            {c.path}
          </span>
          <span className="min-w-0 break-words whitespace-pre-wrap">
            {c.kind !== 'added' && <span className="text-rose-700 line-through decoration-rose-400 dark:text-rose-300">{short(c.before)}</span>}
            {c.kind === 'changed' && <span className="mx-1 text-zinc-400">→</span>}
            {c.kind !== 'removed' && <span className="text-emerald-700 dark:text-emerald-300">{short(c.after)}</span>}
          </span>
        </li>
      ))}
    </ul>
  );
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}
