/**
 * Light/dark theme. The page follows the system (prefers-color-scheme) until the user picks the other
 * one; a pick that matches the system is stored as "follow the system" again. The choice lives in
 * localStorage and is applied by an inline script before first paint, so there is no flash.
 */
export const THEME_STORAGE_KEY = 'spine-theme';
export type StoredTheme = 'light' | 'dark';

export function parseStoredTheme(raw: string | null): StoredTheme | null {
  return raw === 'light' || raw === 'dark' ? raw : null;
}

/** Runs in <head> before the body renders. Plain ES5 with no imports: it is inlined as text. */
export const THEME_INIT_SCRIPT = `(function(){try{var s=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});var d=s==='dark'||(s!=='light'&&window.matchMedia('(prefers-color-scheme: dark)').matches);var r=document.documentElement;r.classList.toggle('dark',d);r.style.colorScheme=d?'dark':'light';}catch(e){}})();`;

export function applyTheme(dark: boolean): void {
  const root = document.documentElement;
  root.classList.toggle('dark', dark);
  root.style.colorScheme = dark ? 'dark' : 'light';
}
