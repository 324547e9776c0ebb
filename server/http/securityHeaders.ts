/**
 * Security headers on every response (pages, tRPC and the public API): next.config.ts gives them to
 * Next.js, and scripts/serve.ts to the hot routes it answers itself (hotRoutes.ts). No imports: the Next.js
 * config loads this file on its own.
 *
 * The Content-Security-Policy is nonce-free so pages stay static: Next.js streams its RSC payload in
 * inline `<script>` tags (and the layout's theme script is inline), so `script-src` allows 'unsafe-inline'
 * but only from this origin otherwise: no foreign script, no `eval` outside development, no plugins, no
 * <base> hijack, no form posts elsewhere, and no framing at all (`frame-ancestors 'none'`, clickjacking).
 * A nonce per request would remove 'unsafe-inline' but force every page to render dynamically.
 * Development adds 'unsafe-eval' (React's dev tooling) and websockets (hot reload).
 */
export function securityHeaders(dev: boolean): { key: string; value: string }[] {
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return [
    { key: 'Content-Security-Policy', value: csp },
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    { key: 'X-Frame-Options', value: 'DENY' },
    // Same-origin requests keep the full Referer (the CSRF check falls back to it); other sites get none.
    { key: 'Referrer-Policy', value: 'same-origin' },
    { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), clipboard-read=(), clipboard-write=(self)' },
    { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  ];
}
