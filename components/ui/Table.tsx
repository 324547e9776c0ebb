/**
 * The dashboards' table: full width, small text, a muted header row over a hairline, rows divided by a
 * lighter one. It scrolls sideways inside its card instead of widening the page. `dense` is the smaller
 * table that sits inside a card's content (attempts, latency by kind).
 */
import type { ComponentProps, ReactNode } from 'react';
import { cn } from './cn';

export function Table({
  testId,
  label,
  dense,
  className,
  scrollClassName,
  children,
}: {
  testId?: string;
  label?: string;
  dense?: boolean;
  className?: string;
  /** Extra classes on the scrolling box (a border, a max height). */
  scrollClassName?: string;
  children: ReactNode;
}) {
  return (
    // `relative`: absolutely placed cells' content (screen-reader-only labels) stays inside the scrolling box
    // instead of widening the page.
    <div className={cn('relative overflow-x-auto', scrollClassName)}>
      <table data-testid={testId} aria-label={label} className={cn('w-full text-left', dense ? 'text-xs' : 'text-sm', className)}>
        {children}
      </table>
    </div>
  );
}

/** The header row: pass the `<Th>` cells. */
export function TableHead({ children, dense }: { children: ReactNode; dense?: boolean }) {
  return (
    <thead className={cn('text-left text-zinc-500 dark:text-zinc-400', !dense && 'text-xs')}>
      <tr className={dense ? undefined : 'border-b border-zinc-200 dark:border-zinc-800'}>{children}</tr>
    </thead>
  );
}

/** A header cell; `right` for numbers. Padding is the caller's (`px-5` at a card's edge, `px-3` inside). */
export function Th({ right, className, ...props }: ComponentProps<'th'> & { right?: boolean }) {
  return <th className={cn('font-medium', right && 'text-right', className ?? 'px-3 py-2')} {...props} />;
}

/** The rows, divided by a light line. */
export function TableBody({ className, ...props }: ComponentProps<'tbody'>) {
  return <tbody className={cn('divide-y divide-zinc-100 dark:divide-zinc-800/70', className)} {...props} />;
}
