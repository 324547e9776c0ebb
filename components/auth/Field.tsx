import type { ReactNode } from 'react';
import { cn } from '@/components/ui/cn';

/** Text inputs across the people-facing forms. */
export const inputClass =
  'block h-9 w-full rounded-md border border-zinc-300 bg-white px-3 text-sm shadow-xs outline-none placeholder:text-zinc-400 focus-visible:border-indigo-500 focus-visible:ring-2 focus-visible:ring-indigo-500/30 dark:border-zinc-700 dark:bg-zinc-900';

/** A labelled form control with an optional hint. */
export function Field({ label, htmlFor, hint, className, children }: { label: string; htmlFor: string; hint?: ReactNode; className?: string; children: ReactNode }) {
  return (
    <div className={cn('space-y-1.5', className)}>
      <label htmlFor={htmlFor} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint && <p className="text-xs text-zinc-500 dark:text-zinc-400">{hint}</p>}
    </div>
  );
}

/** A failed call, as the server worded it. */
export function ErrorNote({ message, code, testId }: { message: string; code?: string; testId?: string }) {
  return (
    <p
      role="alert"
      data-testid={testId}
      data-code={code}
      className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300"
    >
      {message}
    </p>
  );
}
