/**
 * Administration over tRPC (`/settings`): people (create, roles, disable) and API keys (create with
 * scopes, revoke). Admin only, enforced here by `roleProcedure('admin')`. The auth service validates,
 * records every change as an event (`user.*`, `apikey.*`) and returns a key's secret exactly once.
 */
import { z } from 'zod';
import { NewApiKey, NewUser, RoleList } from '@/server/auth';
import { requireAuth, roleProcedure, router } from '../trpc';

const Id = z.string().min(1).max(128);

export const SetRolesInput = z.object({ userId: Id, roles: RoleList }).strict();
export const SetDisabledInput = z.object({ userId: Id, disabled: z.boolean() }).strict();
export const KeyIdInput = z.object({ keyId: Id }).strict();

const adminProcedure = roleProcedure('admin');

export const adminRouter = router({
  users: router({
    list: adminProcedure.query(({ ctx }) => requireAuth(ctx.auth).listUsers()),
    create: adminProcedure.input(NewUser).mutation(({ ctx, input }) => requireAuth(ctx.auth).createUser(input, ctx.actor)),
    setRoles: adminProcedure.input(SetRolesInput).mutation(({ ctx, input }) => requireAuth(ctx.auth).setRoles(input.userId, input.roles, ctx.actor)),
    setDisabled: adminProcedure.input(SetDisabledInput).mutation(({ ctx, input }) => requireAuth(ctx.auth).setDisabled(input.userId, input.disabled, ctx.actor)),
  }),
  keys: router({
    /** Newest first, without secrets (only a prefix to recognise them by). */
    list: adminProcedure.query(({ ctx }) => requireAuth(ctx.auth).listKeys()),
    /** The response carries `secret`: shown once, stored only as a hash. */
    create: adminProcedure.input(NewApiKey).mutation(({ ctx, input }) => requireAuth(ctx.auth).createKey(input, ctx.actor)),
    revoke: adminProcedure.input(KeyIdInput).mutation(({ ctx, input }) => requireAuth(ctx.auth).revokeKey(input.keyId, ctx.actor)),
  }),
});
