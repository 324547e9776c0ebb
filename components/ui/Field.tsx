import type { ReactNode } from 'react';
import { cn } from '@/components/ui/cn';

/** Text inputs across the people-facing forms (sign-in, settings, admin). */
export const inputClass =
  'block h-9 w-full rounded-md border border-zinc-300 bg-white px-3 text-sm shadow-xs outline-none placeholder:text-zinc-400 focus-visible:border-indigo-500 focus-visible:ring-2 focus-visible:ring-indigo-500/30 dark:border-zinc-700 dark:bg-zinc-900';

/** The denser inputs of the designer's panels and dialogs and the workflows list. */
export const denseInputClass =
  'w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm text-zinc-900 shadow-xs outline-none placeholder:text-zinc-400 focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/20 disabled:opacity-60 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100 dark:placeholder:text-zinc-600';

/** Added to an input whose value is refused. */
export const invalidInputClass = 'border-rose-400 focus:border-rose-500 focus:ring-rose-500/20 dark:border-rose-700';

/**
 * A labelled form control with a hint, or its error in place of the hint (announced, `field-error`).
 * `dense` is the designer's smaller label.
 */
export function Field({
  label,
  htmlFor,
  hint,
  error,
  dense,
  className,
  children,
}: {
  label: ReactNode;
  htmlFor?: string;
  hint?: ReactNode;
  error?: string | null;
  dense?: boolean;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={cn(dense ? 'space-y-1' : 'space-y-1.5', className)}>
      <label htmlFor={htmlFor} className={dense ? 'block text-xs font-medium text-zinc-700 dark:text-zinc-300' : 'block text-sm font-medium'}>
        {label}
      </label>
      {children}
      {error ? (
        <p role="alert" className="text-xs text-rose-600 dark:text-rose-400" data-testid="field-error">
          {error}
        </p>
      ) : (
        hint && <p className="text-xs text-zinc-500 dark:text-zinc-400">{hint}</p>
      )}
    </div>
  );
}
