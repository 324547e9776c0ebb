'use client';
/**
 * The add menu (`/`, Ctrl/⌘ K, or a right click on the canvas): type to filter the kinds, ↑/↓ to choose,
 * Enter to add. A command palette in the manner of n8n's node creator, fully keyboard-driven.
 */
import { useId, useState } from 'react';
import { cn, useModalDialog } from '@/components/ui';
import { KIND_META, NODE_KINDS, type NodeKind } from '@/server/workflows/schema';
import { KIND_LOOK, KindIcon } from './nodes/kindLook';
import { matchesKind } from './Palette';

export function AddNodeMenu({ open, onClose, onPick, context }: { open: boolean; onClose: () => void; onPick: (kind: NodeKind) => void; context?: string }) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const listId = useId();
  const kinds = NODE_KINDS.filter((k) => matchesKind(k, query));

  const dialog = useModalDialog(open, onClose, () => {
    setQuery('');
    setActive(0);
  });

  const pick = (k: NodeKind | undefined) => {
    if (!k) return;
    onClose();
    onPick(k);
  };

  return (
    <dialog
      {...dialog}
      aria-label="Add a step"
      data-testid="add-node-menu"
      className="mx-auto mt-[12vh] w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/30 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      {open && (
        <div>
          <input
            autoFocus
            role="combobox"
            aria-expanded
            aria-controls={listId}
            aria-activedescendant={kinds[active] ? `${listId}-${kinds[active]}` : undefined}
            aria-label="Search steps"
            placeholder="Add a step…"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
            }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') {
                e.preventDefault();
                setActive((a) => Math.min(a + 1, kinds.length - 1));
              } else if (e.key === 'ArrowUp') {
                e.preventDefault();
                setActive((a) => Math.max(a - 1, 0));
              } else if (e.key === 'Enter') {
                e.preventDefault();
                pick(kinds[active]);
              }
            }}
            className="w-full border-b border-zinc-200 bg-transparent px-4 py-3 text-sm outline-none dark:border-zinc-800"
          />
          {context && <p className="px-4 pt-2 text-[11px] text-zinc-500">{context}</p>}
          <ul id={listId} role="listbox" aria-label="Steps" className="max-h-80 overflow-y-auto p-2">
            {kinds.map((k, i) => (
              <li
                key={k}
                id={`${listId}-${k}`}
                role="option"
                aria-selected={i === active}
                onMouseEnter={() => setActive(i)}
                onClick={() => pick(k)}
                className={cn('flex cursor-pointer items-center gap-3 rounded-lg px-2.5 py-2', i === active && 'bg-zinc-100 dark:bg-zinc-800')}
              >
                <span className={cn('grid size-7 shrink-0 place-items-center rounded-md', KIND_LOOK[k].tint)}>
                  <KindIcon kind={k} />
                </span>
                <span className="min-w-0">
                  <span className="block text-sm font-medium">{KIND_META[k].label}</span>
                  <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">{KIND_META[k].description}</span>
                </span>
              </li>
            ))}
            {kinds.length === 0 && <li className="px-3 py-6 text-center text-sm text-zinc-500">No step matches “{query}”.</li>}
          </ul>
        </div>
      )}
    </dialog>
  );
}
