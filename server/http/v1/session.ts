/**
 * `/api/auth/*`: sign in (sets the HttpOnly session cookie), sign out, who am I, change password.
 * Sign-in failures are rate limited per email and per client address (429), and recorded as events.
 */
import { z } from 'zod';
import { SESSION_COOKIE, SESSION_TTL_MS, readCookie } from '@/server/auth';
import { env } from '@/server/env';
import { ForbiddenError, UnavailableError, ValidationError } from '@/server/errors';
import { authorize, isSameOrigin } from '../auth';
import { clientAddress } from '../clientAddress';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { runtimeServices, type ServicesGetter } from '../services';

const SignIn = z.object({ email: z.string().max(200), password: z.string().max(200) }).strict();

function cookie(req: Request, value: string, maxAgeS: number): string {
  const secure = new URL(req.url).protocol === 'https:' || req.headers.get('x-forwarded-proto') === 'https';
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export function sessionApi(services: ServicesGetter = runtimeServices) {
  const auth = async () => {
    const svc = await services();
    if (!svc.auth) throw new UnavailableError('auth.unavailable', 'Authentication is not configured');
    return { svc, auth: svc.auth };
  };
  return {
    signIn: withErrorHandling(async (req: Request) => {
      const { auth: a } = await auth();
      if (req.headers.get('origin') && !isSameOrigin(req)) throw new ForbiddenError('auth.csrf', 'Cross-site sign-in refused');
      const body = SignIn.safeParse(await readJsonBody(req, 4096));
      if (!body.success) throw new ValidationError('auth.invalid_request', 'Send { email, password }');
      const client = clientAddress(req.headers, env().SPINE_TRUSTED_PROXIES);
      const r = await a.signIn(body.data, client);
      return json({ user: r.user, expiresAt: r.expiresAt }, 200, { 'set-cookie': cookie(req, r.token, SESSION_TTL_MS / 1000) });
    }),
    signOut: withErrorHandling(async (req: Request) => {
      const { auth: a } = await auth();
      await a.signOut(readCookie(req, SESSION_COOKIE));
      return json({ ok: true }, 200, { 'set-cookie': cookie(req, '', 0) });
    }),
    me: withErrorHandling(async (req: Request) => {
      const { svc } = await auth();
      const actor = await authorize(req, svc, { kind: 'read' });
      return json({ actor: { kind: actor.kind, id: actor.id, name: actor.name, roles: actor.roles } });
    }),
    changePassword: withErrorHandling(async (req: Request) => {
      const { svc, auth: a } = await auth();
      const actor = await authorize(req, svc, { kind: 'read' });
      const body = (await readJsonBody(req, 4096)) as { current?: unknown; next?: unknown };
      await a.changePassword(actor, { current: body?.current, next: body?.next });
      return json({ ok: true }, 200, { 'set-cookie': cookie(req, '', 0) });
    }),
  };
}
