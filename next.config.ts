import type { NextConfig } from 'next';

/**
 * Security headers on every response (pages, tRPC and the public API).
 *
 * The Content-Security-Policy is nonce-free so pages stay static: Next.js streams its RSC payload in
 * inline `<script>` tags (and the layout's theme script is inline), so `script-src` allows 'unsafe-inline'
 * but only from this origin otherwise: no foreign script, no `eval` outside development, no plugins, no
 * <base> hijack, no form posts elsewhere, and no framing at all (`frame-ancestors 'none'`, clickjacking).
 * A nonce per request would remove 'unsafe-inline' but force every page to render dynamically.
 * Development adds 'unsafe-eval' (React's dev tooling) and websockets (hot reload).
 */
function securityHeaders(dev: boolean): { key: string; value: string }[] {
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

/**
 * Next.js runs inside Spine's own server (scripts/serve.ts), so route handlers share the process-wide
 * runtime with it. Native and driver packages stay external: they are loaded by Node at run time, never
 * bundled, so the route bundle and the custom server get the same module instances.
 */
const nextConfig: NextConfig = {
  serverExternalPackages: ['better-sqlite3', 'pg', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg'],
  poweredByHeader: false,
  // The build type-checks what it ships (strict, same options); tests, e2e, bench and scripts are
  // checked by `npm run typecheck`, so a half-written test never blocks `npm start`.
  typescript: { tsconfigPath: 'tsconfig.build.json' },
  reactStrictMode: true,
  // A2A discovery: Spine's Agent Card at the well-known path, served by the route under /api/a2a.
  async rewrites() {
    return [{ source: '/.well-known/agent-card.json', destination: '/api/a2a/agent-card.json' }];
  },
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders(process.env.NODE_ENV === 'development') }];
  },
};

export default nextConfig;
