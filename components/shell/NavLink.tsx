'use client';
import Link, { useLinkStatus } from 'next/link';
import { usePathname } from 'next/navigation';
import { cn } from '@/components/ui';

const BASE = 'relative rounded-md px-2.5 py-1.5 text-sm transition-colors';

export function NavLink({ href, label, className, onClick }: { href: string; label: string; className?: string; onClick?: () => void }) {
  const pathname = usePathname();
  const active = href === '/' ? pathname === '/' : pathname.startsWith(href);
  return (
    <Link
      href={href}
      onClick={onClick}
      aria-current={active ? 'page' : undefined}
      className={cn(
        BASE,
        active
          ? 'bg-zinc-100 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100'
          : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100',
        className,
      )}
    >
      {label}
      <PendingMark />
    </Link>
  );
}

/**
 * While the page this link leads to is loading (a server-rendered page can take a moment), the link says
 * so: a pulsing bar under it, and `data-testid="nav-pending"` for tests. `useLinkStatus` reads the
 * enclosing <Link>'s navigation.
 */
function PendingMark() {
  const { pending } = useLinkStatus();
  if (!pending) return null;
  return (
    <span role="status" aria-label="Loading" data-testid="nav-pending" className="absolute inset-x-2 -bottom-px h-0.5 animate-pulse rounded-full bg-indigo-500" />
  );
}

/** A section that does not exist yet: shown so the shape of the product is visible, not clickable. */
export function NavPlaceholder({ label }: { label: string }) {
  return (
    <span aria-disabled="true" title={`${label}: coming soon`} className={cn(BASE, 'cursor-default text-zinc-400 dark:text-zinc-600')}>
      {label}
    </span>
  );
}
