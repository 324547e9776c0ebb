'use client';
import { Fragment } from 'react';
import { Button, Modal } from '@/components/ui';
import { GESTURES, isMac, SHORTCUTS } from './shortcuts';

function Keys({ combo }: { combo: string }) {
  const mac = isMac();
  return (
    <span className="inline-flex gap-1">
      {combo.split(' ').map((k, i) => (
        <kbd key={i} className="min-w-6 rounded border border-zinc-300 bg-zinc-50 px-1.5 py-0.5 text-center font-mono text-[11px] text-zinc-700 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-200">
          {k === 'Mod' ? (mac ? '⌘' : 'Ctrl') : k === 'Shift' ? (mac ? '⇧' : 'Shift') : k}
        </kbd>
      ))}
    </span>
  );
}

/** Every shortcut and gesture of the designer (`?`). */
export function ShortcutsHelp({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Modal open={open} onClose={onClose} title="Keyboard shortcuts" data-testid="shortcuts-help" footer={<Button onClick={onClose}>Close</Button>}>
      <dl className="grid grid-cols-[auto_1fr] items-center gap-x-6 gap-y-2 text-sm">
        {SHORTCUTS.map((s) => (
          <Fragment key={s.id}>
            <dt className="flex flex-wrap gap-1.5">
              {s.keys.map((k, i) => (
                <Fragment key={k}>
                  {i > 0 && <span className="text-xs text-zinc-400">or</span>}
                  <Keys combo={k} />
                </Fragment>
              ))}
            </dt>
            <dd className="text-zinc-700 dark:text-zinc-300">{s.label}</dd>
          </Fragment>
        ))}
      </dl>
      <h3 className="mt-5 mb-2 text-xs font-semibold tracking-wider text-zinc-500 uppercase">Mouse</h3>
      <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1.5 text-sm">
        {GESTURES.map((g) => (
          <Fragment key={g.keys}>
            <dt className="font-medium text-zinc-800 dark:text-zinc-200">{g.keys.replace('Mod', isMac() ? '⌘' : 'Ctrl')}</dt>
            <dd className="text-zinc-600 dark:text-zinc-400">{g.label}</dd>
          </Fragment>
        ))}
      </dl>
    </Modal>
  );
}
