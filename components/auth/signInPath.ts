/**
 * Where sign-in sends people back to. `next` comes from the query string, so it is untrusted: only a path
 * on this site is accepted (no scheme, no `//host`, no backslash tricks), and never the sign-in page
 * itself, so a crafted link cannot bounce a fresh session to another site.
 */
export const SIGN_IN_PATH = '/sign-in';

/** Pages that work without a session. */
export function isPublicPath(pathname: string): boolean {
  return pathname === SIGN_IN_PATH || pathname.startsWith(`${SIGN_IN_PATH}/`);
}

/**
 * The path to go to after signing in, or `/`.
 * @example safeNext('/approvals?x=1') // '/approvals?x=1'; safeNext('//evil.example') // '/'
 */
export function safeNext(raw: string | null | undefined): string {
  if (!raw || raw.length > 2000) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\') || /[\u0000-\u001f]/.test(raw)) return '/';
  let url: URL;
  try {
    url = new URL(raw, 'http://spine.invalid');
  } catch {
    return '/';
  }
  if (url.origin !== 'http://spine.invalid' || isPublicPath(url.pathname)) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in page, remembering where the person was. */
export function signInHref(current: string): string {
  const next = safeNext(current);
  return next === '/' ? SIGN_IN_PATH : `${SIGN_IN_PATH}?next=${encodeURIComponent(next)}`;
}
