'use client';
/**
 * Publish: freezes the saved draft as the next immutable version. Shows what changed since the published
 * version (nodes added, removed, changed; edges) and takes a summary, prefilled from those changes.
 * Refused while the validator reports errors (the server refuses them too).
 */
import { useEffect, useMemo, useState } from 'react';
import { Button, denseInputClass, Modal } from '@/components/ui';
import type { WorkflowDocument } from '@/server/workflows/schema';
import type { Problem } from '@/server/workflows/validate';
import { diffDocuments, summarizeDiff } from './diff';

type Props = {
  open: boolean;
  onClose: () => void;
  draft: WorkflowDocument;
  published: WorkflowDocument | null;
  publishedVersion: number | null;
  problems: readonly Problem[];
  busy: boolean;
  error: string | null;
  onPublish: (summary: string) => void;
};

export function PublishDialog({ open, onClose, draft, published, publishedVersion, problems, busy, error, onPublish }: Props) {
  const diff = useMemo(() => diffDocuments(published, draft), [published, draft]);
  const auto = summarizeDiff(diff);
  const [summary, setSummary] = useState(auto);
  useEffect(() => {
    if (open) setSummary(publishedVersion === null ? `First version: ${auto}` : auto);
  }, [open, auto, publishedVersion]);
  const errors = problems.filter((p) => p.severity === 'error');
  const warnings = problems.length - errors.length;
  const next = (publishedVersion ?? 0) + 1;

  return (
    <Modal
      open={open}
      onClose={onClose}
      data-testid="publish-dialog"
      title={`Publish version ${next}`}
      description="A published version never changes. New runs use it; runs already started keep theirs."
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" disabled={errors.length > 0 || busy} onClick={() => onPublish(summary.trim())} data-testid="publish-confirm">
            {busy ? 'Publishing…' : `Publish v${next}`}
          </Button>
        </>
      }
    >
      {errors.length > 0 ? (
        <div role="alert" data-testid="publish-refused" className="rounded-lg border border-rose-200 bg-rose-50 p-3 text-sm text-rose-900 dark:border-rose-900 dark:bg-rose-950 dark:text-rose-100">
          <p className="font-medium">
            {errors.length} error{errors.length === 1 ? '' : 's'} must be fixed before publishing:
          </p>
          <ul className="mt-2 list-disc space-y-1 pl-5 text-xs">
            {errors.slice(0, 8).map((p, i) => (
              <li key={i} data-code={p.code}>
                {p.message}
              </li>
            ))}
            {errors.length > 8 && <li>…and {errors.length - 8} more (see Problems)</li>}
          </ul>
        </div>
      ) : (
        <div className="space-y-4">
          <section>
            <h3 className="text-xs font-semibold tracking-wider text-zinc-500 uppercase">Changes since {publishedVersion === null ? 'nothing (first version)' : `v${publishedVersion}`}</h3>
            <ul className="mt-2 space-y-1 text-sm" data-testid="publish-changes">
              <ChangeLine label="Nodes added" ids={diff.addedNodes} tone="text-emerald-700 dark:text-emerald-400" />
              <ChangeLine label="Nodes removed" ids={diff.removedNodes} tone="text-rose-700 dark:text-rose-400" />
              <ChangeLine label="Nodes changed" ids={diff.changedNodes} tone="text-amber-700 dark:text-amber-400" />
              <ChangeLine label="Nodes moved" ids={diff.movedNodes} tone="text-zinc-500" />
              <ChangeLine label="Edges added" ids={diff.addedEdges} tone="text-emerald-700 dark:text-emerald-400" count />
              <ChangeLine label="Edges removed" ids={diff.removedEdges} tone="text-rose-700 dark:text-rose-400" count />
            </ul>
            {auto === 'no changes' && <p className="text-sm text-zinc-500">The draft is the same as v{publishedVersion}. Publishing makes an identical version.</p>}
          </section>
          {warnings > 0 && <p className="text-xs text-amber-700 dark:text-amber-400">{warnings} warning{warnings === 1 ? '' : 's'} (publishing is allowed; see Problems).</p>}
          <label className="block space-y-1">
            <span className="text-xs font-medium text-zinc-700 dark:text-zinc-300">Change summary</span>
            <textarea data-testid="publish-summary" value={summary} onChange={(e) => setSummary(e.target.value)} rows={3} maxLength={2000} className={denseInputClass} />
          </label>
        </div>
      )}
      {error && (
        <p role="alert" className="mt-3 text-sm text-rose-600 dark:text-rose-400">
          {error}
        </p>
      )}
    </Modal>
  );
}

function ChangeLine({ label, ids, tone, count }: { label: string; ids: string[]; tone: string; count?: boolean }) {
  if (!ids.length) return null;
  return (
    <li className="flex gap-2">
      <span className={`w-32 shrink-0 font-medium ${tone}`}>
        {label} ({ids.length})
      </span>
      {!count && <span className="min-w-0 font-mono text-xs break-words text-zinc-600 dark:text-zinc-400">{ids.join(', ')}</span>}
    </li>
  );
}
