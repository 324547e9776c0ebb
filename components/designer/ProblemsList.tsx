'use client';
/**
 * Every problem the validator finds, errors first, as the workflow is drawn. Choosing one selects the
 * node or edge it concerns and brings it into view. The same problems are drawn on the canvas. It floats
 * over the bottom of the canvas (the editor places it) and folds to one line, so it never shrinks the canvas.
 */
import { useReactFlow } from '@xyflow/react';
import { useMemo, useState } from 'react';
import { cn } from '@/components/ui';
import type { Problem } from '@/server/workflows/validate';
import { useDesignerStore, useDesignerStoreApi } from './store';

export function ProblemsList() {
  const problems = useDesignerStore((s) => s.problems);
  const selectOnly = useDesignerStore((s) => s.selectOnly);
  const store = useDesignerStoreApi();
  const { fitView } = useReactFlow();
  const [open, setOpen] = useState(true);
  const sorted = useMemo(() => [...problems].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1)), [problems]);
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;

  const reveal = (p: Problem) => {
    const nodeId = p.nodeId ?? p.nodeIds?.[0];
    const edge = p.edgeId ? store.getState().edges.find((e) => e.id === p.edgeId) : undefined;
    if (edge) {
      selectOnly({ edges: [edge.id] });
      void fitView({ nodes: [{ id: edge.source }, { id: edge.target }], duration: 250, maxZoom: 1.2, padding: 0.4 });
    } else if (nodeId) {
      selectOnly({ nodes: [nodeId] });
      void fitView({ nodes: (p.nodeIds ?? [nodeId]).map((id) => ({ id })), duration: 250, maxZoom: 1.2, padding: 0.4 });
    }
  };

  return (
    <section aria-label="Problems" data-testid="problems" data-errors={errors} data-warnings={warnings} className="pointer-events-auto max-w-2xl overflow-hidden rounded-lg border border-zinc-200 bg-white/95 shadow-md backdrop-blur dark:border-zinc-800 dark:bg-zinc-900/95">
      <button type="button" aria-expanded={open} onClick={() => setOpen((o) => !o)} className="flex w-full items-center gap-3 px-4 py-2 text-left text-xs font-medium">
        <span className="text-zinc-700 dark:text-zinc-300">Problems</span>
        {problems.length === 0 ? (
          <span className="text-emerald-700 dark:text-emerald-400">✓ None: ready to publish</span>
        ) : (
          <span className="flex gap-2">
            {errors > 0 && <span className="text-rose-600 dark:text-rose-400">{errors} error{errors === 1 ? '' : 's'}</span>}
            {warnings > 0 && <span className="text-amber-700 dark:text-amber-400">{warnings} warning{warnings === 1 ? '' : 's'}</span>}
          </span>
        )}
        <span className="ml-auto text-zinc-400">{open ? '▾' : '▸'}</span>
      </button>
      {open && problems.length > 0 && (
        <ul className="max-h-36 overflow-y-auto px-2 pb-2">
          {sorted.map((p, i) => {
            const target = p.edgeId ?? p.nodeId ?? p.nodeIds?.[0];
            return (
              <li key={`${p.code}-${target ?? ''}-${i}`}>
                <button
                  type="button"
                  data-testid="problem"
                  data-code={p.code}
                  data-node-id={p.nodeId}
                  data-severity={p.severity}
                  disabled={!target}
                  onClick={() => reveal(p)}
                  className="flex w-full items-start gap-2 rounded-md px-2 py-1 text-left text-xs hover:bg-zinc-100 disabled:cursor-default disabled:hover:bg-transparent dark:hover:bg-zinc-800"
                >
                  <span className={cn('mt-1 size-2 shrink-0 rounded-full', p.severity === 'error' ? 'bg-rose-500' : 'bg-amber-500')} />
                  <span className="min-w-0 flex-1 text-zinc-700 dark:text-zinc-300">{p.message}</span>
                  <span className="shrink-0 font-mono text-[10px] text-zinc-400">{p.code}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
