import type { ImportIssue } from './documentFile';

/** Why an import was refused, one line per issue, as text. */
export function ImportIssues({ issues }: { issues: readonly ImportIssue[] }) {
  return (
    <ul className="space-y-2 text-sm" data-testid="import-issues">
      {issues.map((i, k) => (
        <li key={k} data-code={i.code} className="flex gap-2">
          <span className="mt-1.5 size-2 shrink-0 rounded-full bg-rose-500" />
          <span className="min-w-0 break-words">
            {i.message}
            <span className="ml-2 font-mono text-[10px] text-zinc-400">{i.code}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}
