import type { NextConfig } from 'next';
import { securityHeaders } from './server/http/securityHeaders';

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
