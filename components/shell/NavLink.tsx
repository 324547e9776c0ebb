'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { cn } from '@/components/ui';

const BASE = 'rounded-md px-2.5 py-1.5 text-sm transition-colors';

export function NavLink({ href, label }: { href: string; label: string }) {
  const pathname = usePathname();
  const active = href === '/' ? pathname === '/' : pathname.startsWith(href);
  return (
    <Link
      href={href}
      aria-current={active ? 'page' : undefined}
      className={cn(
        BASE,
        active
          ? 'bg-zinc-100 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100'
          : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100',
      )}
    >
      {label}
    </Link>
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
