/**
 * The signed-in person over tRPC: who am I (the top bar and `useActor()`), and changing one's own
 * password. Signing in and out are plain HTTP (`/api/auth/sign-in`, `/api/auth/sign-out`), because they
 * set and clear the HttpOnly session cookie.
 */
import { z } from 'zod';
import type { Role } from '@/server/auth/roles';
import { authedProcedure, publicProcedure, requireAuth, router } from '../trpc';

export const ChangePasswordInput = z.object({ current: z.string().max(200), next: z.string().max(200) }).strict();

/** What the UI shows of the caller. `email` and `displayName` are set for people. */
export type Me = { kind: 'user' | 'apiKey' | 'system'; id: string; name: string; displayName: string; email: string | null; roles: Role[] };

export const sessionRouter = router({
  /** The caller, or null when the request carries no valid session or key. */
  me: publicProcedure.query(async ({ ctx }): Promise<Me | null> => {
    const a = ctx.actor;
    if (!a) return null;
    const user = a.kind === 'user' && ctx.auth ? await ctx.auth.getUser(a.id) : null;
    return { kind: a.kind, id: a.id, name: a.name, displayName: user?.name ?? a.name, email: user?.email ?? null, roles: [...a.roles] };
  }),

  /** Changes the caller's password; every session of theirs ends (they sign in again with the new one). */
  changePassword: authedProcedure
    .input(ChangePasswordInput)
    .mutation(async ({ ctx, input }) => {
      await requireAuth(ctx.auth).changePassword(ctx.actor, input);
      return { ok: true as const };
    }),
});
