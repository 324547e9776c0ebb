'use client';
import { useEffect } from 'react';
import { Button, MoonIcon, SunIcon } from '@/components/ui';
import { applyTheme, parseStoredTheme, THEME_STORAGE_KEY } from './theme';

const DARK_QUERY = '(prefers-color-scheme: dark)';

function readStored() {
  try {
    return parseStoredTheme(localStorage.getItem(THEME_STORAGE_KEY));
  } catch {
    return null;
  }
}

/** Switches light/dark. The icon is chosen by CSS (`dark:`), so server and client render the same. */
export function ThemeToggle() {
  useEffect(() => {
    const media = window.matchMedia(DARK_QUERY);
    const follow = () => applyTheme((readStored() ?? (media.matches ? 'dark' : 'light')) === 'dark');
    const onStorage = (e: StorageEvent) => {
      if (e.key === THEME_STORAGE_KEY) follow();
    };
    media.addEventListener('change', follow);
    window.addEventListener('storage', onStorage);
    return () => {
      media.removeEventListener('change', follow);
      window.removeEventListener('storage', onStorage);
    };
  }, []);

  const toggle = () => {
    const dark = !document.documentElement.classList.contains('dark');
    applyTheme(dark);
    try {
      if (dark === window.matchMedia(DARK_QUERY).matches) localStorage.removeItem(THEME_STORAGE_KEY);
      else localStorage.setItem(THEME_STORAGE_KEY, dark ? 'dark' : 'light');
    } catch {
      // Storage may be unavailable (private mode); the switch still applies to this page.
    }
  };

  return (
    <Button variant="ghost" size="icon" onClick={toggle} aria-label="Toggle dark mode" title="Toggle dark mode">
      <MoonIcon className="dark:hidden" />
      <SunIcon className="hidden dark:block" />
    </Button>
  );
}
