'use client';
/**
 * Every node kind the engine supports (NODE_KINDS, described by KIND_META), filterable. Drag one onto the
 * canvas, or click / press Enter to add it next to the selected node (connected when the rules allow) or
 * in the middle of the view.
 */
import { useState, type DragEvent } from 'react';
import { cn, denseInputClass } from '@/components/ui';
import { KIND_META, NODE_KINDS, type NodeKind } from '@/server/workflows/schema';
import { KIND_DRAG_TYPE } from './Canvas';
import { KIND_LOOK, KindIcon } from './nodes/kindLook';

export function matchesKind(kind: NodeKind, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const m = KIND_META[kind];
  return kind.toLowerCase().includes(q) || m.label.toLowerCase().includes(q) || m.description.toLowerCase().includes(q);
}

export function Palette({ onAdd, disabled }: { onAdd: (kind: NodeKind) => void; disabled?: boolean }) {
  const [query, setQuery] = useState('');
  const kinds = NODE_KINDS.filter((k) => matchesKind(k, query));
  const onDragStart = (kind: NodeKind) => (e: DragEvent) => {
    e.dataTransfer.setData(KIND_DRAG_TYPE, kind);
    e.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <aside aria-label="Palette" data-testid="palette" className="flex h-full w-56 shrink-0 flex-col border-r border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <div className="p-3">
        <input type="search" aria-label="Filter steps" placeholder="Filter steps…" value={query} onChange={(e) => setQuery(e.target.value)} className={cn(denseInputClass, 'h-8 py-1 text-[13px]')} />
      </div>
      <ul className="min-h-0 flex-1 space-y-1 overflow-y-auto px-2 pb-3">
        {kinds.map((kind) => (
          <li key={kind}>
            <button
              type="button"
              draggable={!disabled}
              disabled={disabled}
              onDragStart={onDragStart(kind)}
              onClick={() => onAdd(kind)}
              data-testid={`palette-${kind}`}
              title={`${KIND_META[kind].description} Drag onto the canvas, or click to add.`}
              className="group flex w-full cursor-grab items-start gap-2.5 rounded-lg border border-transparent px-2 py-2 text-left transition-colors hover:border-zinc-200 hover:bg-zinc-50 active:cursor-grabbing disabled:cursor-not-allowed disabled:opacity-50 dark:hover:border-zinc-700 dark:hover:bg-zinc-800/60"
            >
              <span className={cn('mt-0.5 grid size-7 shrink-0 place-items-center rounded-md', KIND_LOOK[kind].tint)}>
                <KindIcon kind={kind} />
              </span>
              <span className="min-w-0">
                <span className="block text-sm font-medium">{KIND_META[kind].label}</span>
                <span className="line-clamp-2 block text-[11px] leading-snug text-zinc-500 dark:text-zinc-400">{KIND_META[kind].description}</span>
              </span>
            </button>
          </li>
        ))}
        {kinds.length === 0 && <li className="px-2 py-4 text-center text-xs text-zinc-500">No step matches “{query}”.</li>}
      </ul>
      <p className="border-t border-zinc-200 px-3 py-2 text-[11px] text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
        Press <kbd className="rounded border border-zinc-300 px-1 font-mono dark:border-zinc-600">/</kbd> to add from the keyboard, <kbd className="rounded border border-zinc-300 px-1 font-mono dark:border-zinc-600">?</kbd> for shortcuts.
      </p>
    </aside>
  );
}
