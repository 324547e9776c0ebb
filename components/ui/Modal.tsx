'use client';
/**
 * A modal dialog on the native <dialog> element: focus moves in and is trapped, Escape closes, the page
 * behind is inert, and it is announced as a dialog with its title.
 */
import { useId, type ReactNode } from 'react';
import { cn } from './cn';
import { useModalDialog } from './useModalDialog';

type Props = {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  className?: string;
  'data-testid'?: string;
};

export function Modal({ open, onClose, title, description, children, footer, className, ...rest }: Props) {
  const dialog = useModalDialog(open, onClose);
  const titleId = useId();
  return (
    <dialog
      {...dialog}
      aria-labelledby={titleId}
      data-testid={rest['data-testid']}
      className={cn(
        'm-auto w-[min(36rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/40 backdrop:backdrop-blur-[2px] dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100',
        className,
      )}
    >
      {open && (
        <div className="flex max-h-[85vh] flex-col">
          <header className="border-b border-zinc-200 px-5 py-4 dark:border-zinc-800">
            <h2 id={titleId} className="text-base font-semibold tracking-tight">
              {title}
            </h2>
            {description && <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">{description}</p>}
          </header>
          <div className="min-h-0 flex-1 overflow-y-auto px-5 py-4">{children}</div>
          {footer && <footer className="flex items-center justify-end gap-2 border-t border-zinc-200 px-5 py-3 dark:border-zinc-800">{footer}</footer>}
        </div>
      )}
    </dialog>
  );
}
