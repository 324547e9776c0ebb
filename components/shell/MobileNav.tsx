'use client';
/**
 * The main navigation below the width where it fits in the top bar (phones, narrow windows): a Menu
 * button that opens the sections as a list under the bar. It closes on a choice, on Escape, on a click
 * outside, and when the page changes.
 */
import { usePathname } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { NavLink } from './NavLink';

export function MobileNav({ items }: { items: ReadonlyArray<{ label: string; href: string }> }) {
  const [open, setOpen] = useState(false);
  const pathname = usePathname();
  const ref = useRef<HTMLDivElement>(null);
  const [shownFor, setShownFor] = useState(pathname);
  if (shownFor !== pathname) {
    setShownFor(pathname);
    setOpen(false);
  }

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div ref={ref} className="lg:hidden">
      <button
        type="button"
        aria-label="Menu"
        aria-expanded={open}
        aria-controls="mobile-nav"
        data-testid="nav-menu-button"
        onClick={() => setOpen((o) => !o)}
        className="grid size-9 place-items-center rounded-md text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-300 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
      >
        <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round">
          {open ? <path d="M4 4l10 10M14 4L4 14" /> : <path d="M3 5h12M3 9h12M3 13h12" />}
        </svg>
      </button>
      {open && (
        <nav
          id="mobile-nav"
          aria-label="Main"
          data-testid="mobile-nav"
          className="absolute inset-x-0 top-full border-b border-zinc-200 bg-white px-4 py-2 shadow-lg dark:border-zinc-800 dark:bg-zinc-950"
        >
          <ul className="grid grid-cols-2 gap-1 sm:grid-cols-4">
            {items.map((i) => (
              <li key={i.href}>
                <NavLink href={i.href} label={i.label} className="block py-2" onClick={() => setOpen(false)} />
              </li>
            ))}
          </ul>
        </nav>
      )}
    </div>
  );
}
