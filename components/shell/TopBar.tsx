import Link from 'next/link';
import { SessionGuard } from '@/components/auth/SessionGuard';
import { UserMenu } from '@/components/auth/UserMenu';
import { SpineMark } from '@/components/ui';
import { MobileNav } from './MobileNav';
import { NavLink, NavPlaceholder } from './NavLink';
import { ThemeToggle } from './ThemeToggle';

/** Sections of the product. Only those with a page get an `href`; the rest are placeholders. */
const NAV: ReadonlyArray<{ label: string; href?: string }> = [
  { label: 'Overview', href: '/' },
  { label: 'Timeline', href: '/timeline' },
  { label: 'Runs', href: '/runs' },
  { label: 'Workflows', href: '/workflows' },
  { label: 'Agents', href: '/agents' },
  { label: 'Schemas', href: '/schemas' },
  { label: 'Approvals', href: '/approvals' },
  { label: 'Audit', href: '/audit' },
  { label: 'Settings', href: '/settings' },
];

export function TopBar() {
  return (
    <header className="sticky top-0 z-20 border-b border-zinc-200 bg-white/85 backdrop-blur print:hidden dark:border-zinc-800 dark:bg-zinc-950/85">
      <div className="relative mx-auto flex h-14 max-w-6xl items-center gap-3 px-4 sm:px-6 lg:gap-6">
        <MobileNav items={NAV.flatMap((i) => (i.href ? [{ label: i.label, href: i.href }] : []))} />
        <Link href="/" className="flex shrink-0 items-center gap-2 text-[15px] font-semibold tracking-tight">
          <span className="grid size-7 place-items-center rounded-md bg-indigo-600 text-white">
            <SpineMark width={18} height={18} />
          </span>
          Spine
        </Link>
        {/* Below lg the sections do not fit beside the user menu: the Menu button (MobileNav) lists them. */}
        <nav aria-label="Main" className="-mx-1 hidden min-w-0 items-center gap-0.5 lg:flex">
          {NAV.map((item) =>
            item.href ? <NavLink key={item.label} href={item.href} label={item.label} /> : <NavPlaceholder key={item.label} label={item.label} />,
          )}
        </nav>
        <div className="ml-auto flex min-w-0 items-center gap-3">
          <UserMenu />
          <ThemeToggle />
        </div>
        <SessionGuard />
      </div>
    </header>
  );
}
