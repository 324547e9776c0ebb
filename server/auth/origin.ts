/**
 * CSRF defence for cookie-authenticated writes: the request must come from this origin. Browsers send
 * `Sec-Fetch-Site`; older ones `Origin` (or `Referer`), compared with the Host the request was sent to.
 */
export function isSameOrigin(req: { headers: { get(name: string): string | null } }): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = req.headers.get('origin') ?? req.headers.get('referer');
  if (!origin) return false;
  try {
    const host = req.headers.get('x-forwarded-host') ?? req.headers.get('host');
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
