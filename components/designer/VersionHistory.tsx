'use client';
/**
 * Version history: every published version with its summary, author and time. A version can be viewed on
 * a read-only canvas, compared with the current draft (added, changed and removed nodes and edges marked
 * on one canvas) and restored as the draft (one undo step; nothing is published until you publish).
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Badge, Button, cn, Modal, Skeleton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { diffDocuments, summarizeDiff } from './diff';
import { ReadOnlyCanvas } from './ReadOnlyCanvas';
import type { DiffMark } from './store';

type Props = { open: boolean; onClose: () => void; workflowId: string; draft: WorkflowDocument; mayRestore: boolean; onRestore: (version: number, doc: WorkflowDocument) => void };

export function VersionHistory({ open, onClose, workflowId, draft, mayRestore, onRestore }: Props) {
  const trpc = useTRPC();
  const versions = useQuery({ ...trpc.workflows.versions.queryOptions({ id: workflowId }), enabled: open });
  const [picked, setPicked] = useState<number | null>(null);
  const [mode, setMode] = useState<'view' | 'diff'>('view');
  const chosen = picked ?? versions.data?.[0]?.version ?? null;
  const version = useQuery({ ...trpc.workflows.version.queryOptions({ id: workflowId, version: chosen ?? 1 }), enabled: open && chosen !== null, staleTime: Infinity });

  return (
    <Modal open={open} onClose={onClose} title="Version history" description="Published versions never change. Runs keep the version they started on." data-testid="version-history" className="w-[min(76rem,calc(100vw-2rem))]" footer={<Button onClick={onClose} data-testid="close-history">Close</Button>}>
      {versions.isPending ? (
        <Skeleton className="h-64" />
      ) : !versions.data?.length ? (
        <p className="py-10 text-center text-sm text-zinc-500">Nothing published yet. Publish the draft to create version 1.</p>
      ) : (
        <div className="flex gap-4">
          <ol className="w-64 shrink-0 space-y-1 overflow-y-auto" style={{ maxHeight: '62vh' }} aria-label="Versions">
            {versions.data.map((v) => (
              <li key={v.version}>
                <button
                  type="button"
                  onClick={() => setPicked(v.version)}
                  aria-current={v.version === chosen ? 'true' : undefined}
                  data-testid="version-item"
                  data-version={v.version}
                  className={cn('w-full rounded-lg border px-3 py-2 text-left', v.version === chosen ? 'border-indigo-400 bg-indigo-50 dark:border-indigo-700 dark:bg-indigo-950/50' : 'border-zinc-200 hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800/60')}
                >
                  <div className="flex items-center gap-2">
                    <span className="text-sm font-semibold">v{v.version}</span>
                    {v.version === versions.data[0]!.version && <Badge tone="success">published</Badge>}
                  </div>
                  <p className="mt-0.5 line-clamp-2 text-xs text-zinc-600 dark:text-zinc-400">{v.summary || 'No summary'}</p>
                  <p className="mt-1 text-[11px] text-zinc-400">
                    {v.createdBy} · {new Date(v.createdAt).toLocaleString()}
                  </p>
                </button>
              </li>
            ))}
          </ol>
          <div className="min-w-0 flex-1 space-y-2">
            <div className="flex flex-wrap items-center gap-2">
              <div role="radiogroup" aria-label="Show" className="inline-flex rounded-md border border-zinc-300 p-0.5 dark:border-zinc-700">
                {(['view', 'diff'] as const).map((m) => (
                  <button key={m} type="button" role="radio" aria-checked={mode === m} onClick={() => setMode(m)} className={cn('rounded px-2.5 py-1 text-xs font-medium', mode === m ? 'bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900' : 'text-zinc-600 dark:text-zinc-400')}>
                    {m === 'view' ? `Version ${chosen ?? ''}` : 'Compare with draft'}
                  </button>
                ))}
              </div>
              <Button
                size="sm"
                className="ml-auto"
                disabled={!version.data || !mayRestore}
                title={mayRestore ? 'Replace the draft with this version (one undo step)' : 'Restoring needs the architect role'}
                data-testid="restore-version"
                onClick={() => {
                  if (version.data) onRestore(version.data.version, version.data.document);
                }}
              >
                Restore as draft
              </Button>
            </div>
            <div className="h-[56vh] overflow-hidden rounded-lg border border-zinc-200 dark:border-zinc-800">
              {version.data ? mode === 'view' ? <ReadOnlyCanvas key={`v${version.data.version}`} document={version.data.document} /> : <DiffCanvas key={`d${version.data.version}`} base={version.data.document} draft={draft} /> : <Skeleton className="h-full" />}
            </div>
          </div>
        </div>
      )}
    </Modal>
  );
}

/** The draft with what differs from `base` marked; nodes and edges only in `base` drawn as removed. */
function DiffCanvas({ base, draft }: { base: WorkflowDocument; draft: WorkflowDocument }) {
  const { doc, marks, summary } = useMemo(() => {
    const d = diffDocuments(base, draft);
    const marks: Record<string, DiffMark> = {};
    for (const id of d.addedNodes) marks[id] = 'added';
    for (const id of d.changedNodes) marks[id] = 'changed';
    for (const id of d.removedNodes) marks[id] = 'removed';
    for (const id of d.addedEdges) marks[`edge:${id}`] = 'added';
    const removedNodes = base.nodes.filter((n) => d.removedNodes.includes(n.id));
    const draftEdgeIds = new Set(draft.edges.map((e) => e.id));
    const removedEdges = base.edges.filter((e) => d.removedEdges.includes(e.id)).map((e) => ({ ...e, id: draftEdgeIds.has(e.id) ? `removed:${e.id}` : e.id }));
    for (const e of removedEdges) marks[`edge:${e.id}`] = 'removed';
    return { doc: { ...draft, nodes: [...draft.nodes, ...removedNodes], edges: [...draft.edges, ...removedEdges] }, marks, summary: summarizeDiff(d) };
  }, [base, draft]);
  return (
    <div className="relative h-full">
      <ReadOnlyCanvas document={doc} marks={marks} data-testid="diff-canvas" />
      <p data-testid="diff-summary" className="absolute top-2 left-2 z-10 max-w-[70%] rounded-md border border-zinc-200 bg-white/90 px-2 py-1 text-xs text-zinc-700 shadow-sm dark:border-zinc-700 dark:bg-zinc-900/90 dark:text-zinc-300">
        Draft vs this version: {summary}
      </p>
    </div>
  );
}
