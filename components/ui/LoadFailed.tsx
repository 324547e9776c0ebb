import Link from 'next/link';
import { Button } from './Button';

/** A page whose data could not be loaded: what failed, the server's words, Try again, and a way back. */
export function LoadFailed({ title, message, onRetry, back = { href: '/runs', label: 'All runs' } }: { title: string; message: string; onRetry(): void; back?: { href: string; label: string } }) {
  return (
    <div role="alert" className="rounded-xl border border-rose-200 bg-rose-50 px-5 py-6 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300">
      <p className="font-medium">{title}</p>
      <p className="mt-1">{message}</p>
      <div className="mt-3 flex gap-2">
        <Button size="sm" onClick={onRetry}>
          Try again
        </Button>
        <Link href={back.href} className="inline-flex h-8 items-center px-2.5 text-xs underline">
          {back.label}
        </Link>
      </div>
    </div>
  );
}
