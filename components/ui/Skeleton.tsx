import type { ComponentProps } from 'react';
import { cn } from './cn';

/** A pulsing placeholder block for loading states. */
export function Skeleton({ className, ...props }: ComponentProps<'div'>) {
  return <div aria-hidden className={cn('animate-pulse rounded bg-zinc-200/70 dark:bg-zinc-800', className)} {...props} />;
}
