/**
 * Identity: users with passwords and roles, browser sessions, and API keys for agents and automation.
 * Every change to users, roles and keys is also an event on the spine (`user.*`, `apikey.*`, `auth.*`),
 * so the audit trail covers who may act, not only what they did. Secrets never go into events or logs.
 *
 * A request is authenticated by the `spine_session` cookie (browser) or `Authorization: Bearer <key>`
 * (`spk_…` API keys, or a session token for scripts). Sessions last SESSION_TTL_MS.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '@/server/db';
import { ConflictError, ForbiddenError, NotFoundError, SpineError, ValidationError } from '@/server/errors';
import type { Spine } from '@/server/spine';
import { TypePattern } from '@/server/spine/events';
import { FailureLimiter } from './rateLimit';
import { ROLES, type Actor, type KeyScopes, type Role } from './roles';
import { hashPassword, newSecret, sha256, verifyPassword } from './secrets';

export const SESSION_COOKIE = 'spine_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const KEY_TOUCH_MS = 60_000;
/**
 * How long a key's actor is remembered after a lookup (an agent posts several requests per task), while no
 * revocation watch runs. Revoking a key drops it here at once; a key revoked by another Spine process is
 * refused here within this time.
 */
export const KEY_CACHE_MS = 2_000;
/**
 * The same while `watchRevocations` follows the log: every process drops a revoked key as soon as its
 * `apikey.revoked` event reaches it (the commit wake-up, or PostgreSQL's NOTIFY from another process), so the
 * cache may keep a key for long and a request with a known key costs no query at all.
 */
export const KEY_CACHE_WATCHED_MS = 10 * 60_000;

export const Email = z.string().trim().toLowerCase().email().max(200);
export const Password = z.string().min(10, 'passwords are at least 10 characters').max(200);
export const RoleList = z.array(z.enum(ROLES)).max(ROLES.length);
export const NewUser = z.object({ email: Email, name: z.string().trim().min(1).max(200), password: Password, roles: RoleList }).strict();
export const KeyScopesInput = z
  .object({
    publish: z.array(TypePattern).max(50).default([]),
    subscribe: z.array(TypePattern).max(50).default(['*']),
    startRuns: z.boolean().default(false),
    roles: RoleList.default([]),
    /** Binds the key to one agent (an agent key). */
    agent: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/).optional(),
  })
  .strict();
export const NewApiKey = z.object({ name: z.string().trim().min(1).max(100), scopes: KeyScopesInput }).strict();

export type PublicUser = { id: string; email: string; name: string; roles: Role[]; disabled: boolean; createdAt: string };
export type PublicApiKey = { id: string; name: string; prefix: string; scopes: KeyScopes; createdBy: string; createdAt: string; revokedAt: string | null; lastUsedAt: string | null };

class UnauthorizedError extends SpineError {
  constructor(code: string, message: string) {
    super(code, message, 401);
  }
}
class RateLimitedError extends SpineError {
  constructor(retryAfterMs: number) {
    super('auth.rate_limited', `Too many failed sign-ins; try again in ${Math.ceil(retryAfterMs / 1000)} s`, 429, { retryAfterMs });
  }
}

function parse<T extends z.ZodType>(schema: T, raw: unknown, code: string): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ValidationError(code, `${i.path.join('.') || 'input'}: ${i.message}`);
  }
  return r.data;
}

export function readCookie(req: { headers: { get(name: string): string | null } }, name: string): string | null {
  const header = req.headers.get('cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

export function createAuthService(opts: { db: Db; spine: Spine; now?: () => number }) {
  const { db, spine } = opts;
  const now = opts.now ?? Date.now;
  const limiter = new FailureLimiter();
  const touched = new Map<string, number>();
  /** Keys looked up lately, by secret hash (see KEY_CACHE_MS); only valid keys are kept. */
  const keyCache = new Map<string, { actor: Actor; at: number }>();
  let keyCacheMs = KEY_CACHE_MS;
  /** Counts revocations seen: a lookup that overlapped one does not cache what it read before it. */
  let revocations = 0;
  const forgetKey = (keyId: string) => {
    revocations++;
    for (const [hash, c] of keyCache) if (c.actor.id === keyId) keyCache.delete(hash);
  };
  /** Records a key's use at most once a minute (the caller awaits it when it reads the database anyway). */
  const touch = (keyId: string): Promise<unknown> => {
    if (now() - (touched.get(keyId) ?? 0) <= KEY_TOUCH_MS) return Promise.resolve();
    touched.set(keyId, now());
    return db.apiKey.update({ where: { id: keyId }, data: { lastUsedAt: new Date(now()) } }).catch(() => touched.delete(keyId));
  };

  const toUser = (u: { id: string; email: string; name: string; roles: string; disabled: boolean; createdAt: Date }): PublicUser => ({
    id: u.id, email: u.email, name: u.name, roles: JSON.parse(u.roles) as Role[], disabled: u.disabled, createdAt: u.createdAt.toISOString(),
  });
  const toKey = (k: { id: string; name: string; prefix: string; scopes: string; createdBy: string; createdAt: Date; revokedAt: Date | null; lastUsedAt: Date | null }): PublicApiKey => ({
    id: k.id, name: k.name, prefix: k.prefix, scopes: JSON.parse(k.scopes) as KeyScopes, createdBy: k.createdBy, createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null, lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  });
  const record = (type: string, payload: Record<string, unknown>, by: Actor | string) =>
    spine.publish({ type, key: typeof payload.userId === 'string' ? `user:${payload.userId}` : typeof payload.keyId === 'string' ? `apikey:${payload.keyId}` : undefined, source: { kind: 'user', name: typeof by === 'string' ? by : by.name }, payload });

  async function userActor(userId: string): Promise<Actor | null> {
    const u = await db.user.findUnique({ where: { id: userId } });
    if (!u || u.disabled) return null;
    return { kind: 'user', id: u.id, name: u.email, roles: JSON.parse(u.roles) as Role[] };
  }

  const service = {
    /** Checks email and password; returns a new session token (set it as the SESSION_COOKIE). */
    async signIn(raw: { email: unknown; password: unknown }, client = 'unknown'): Promise<{ token: string; expiresAt: string; user: PublicUser }> {
      const email = typeof raw.email === 'string' ? raw.email.trim().toLowerCase() : '';
      for (const key of [`email:${email}`, `client:${client}`]) {
        const wait = limiter.blocked(key);
        if (wait !== null) throw new RateLimitedError(wait);
      }
      const u = email ? await db.user.findUnique({ where: { email } }) : null;
      const ok = !!u && !u.disabled && typeof raw.password === 'string' && (await verifyPassword(raw.password, u.passwordHash));
      if (!ok || !u) {
        limiter.fail(`email:${email}`);
        limiter.fail(`client:${client}`);
        await record('auth.sign_in_failed', { email: email.slice(0, 200) }, 'anonymous');
        throw new UnauthorizedError('auth.invalid_credentials', 'Wrong email or password');
      }
      limiter.reset(`email:${email}`);
      const token = newSecret('sps');
      const expiresAt = new Date(now() + SESSION_TTL_MS);
      await db.session.create({ data: { tokenHash: sha256(token), userId: u.id, expiresAt } });
      await record('auth.signed_in', { userId: u.id }, u.email);
      return { token, expiresAt: expiresAt.toISOString(), user: toUser(u) };
    },

    async signOut(token: string | null) {
      if (token) await db.session.deleteMany({ where: { tokenHash: sha256(token) } });
    },

    /** The actor behind a request, or null when it carries no valid session or key. */
    async authenticate(req: { headers: { get(name: string): string | null } }): Promise<Actor | null> {
      const auth = req.headers.get('authorization');
      const bearer = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : null;
      const token = bearer ?? readCookie(req, SESSION_COOKIE);
      if (!token) return null;
      if (token.startsWith('spk_')) return service.actorForKey(token);
      const s = await db.session.findUnique({ where: { tokenHash: sha256(token) } });
      if (!s || s.expiresAt.getTime() < now()) return null;
      return userActor(s.userId);
    },

    async actorForKey(secret: string): Promise<Actor | null> {
      const hash = sha256(secret);
      const cached = keyCache.get(hash);
      if (cached && now() - cached.at < keyCacheMs) {
        void touch(cached.actor.id);
        return cached.actor;
      }
      const seen = revocations;
      const k = await db.apiKey.findUnique({ where: { hash } });
      if (!k || k.revokedAt) {
        keyCache.delete(hash);
        return null;
      }
      await touch(k.id);
      const scopes = JSON.parse(k.scopes) as KeyScopes;
      const actor: Actor = { kind: 'apiKey', id: k.id, name: `key:${k.name}`, roles: scopes.roles, scopes };
      if (keyCache.size >= 10_000) keyCache.clear();
      if (seen === revocations) keyCache.set(hash, { actor, at: now() });
      return actor;
    },

    async listUsers(): Promise<PublicUser[]> {
      return (await db.user.findMany({ orderBy: { email: 'asc' } })).map(toUser);
    },

    async getUser(userId: string): Promise<PublicUser | null> {
      const u = await db.user.findUnique({ where: { id: userId } });
      return u ? toUser(u) : null;
    },

    async createUser(raw: unknown, by: Actor | string): Promise<PublicUser> {
      const input = parse(NewUser, raw, 'user.invalid');
      if (await db.user.findUnique({ where: { email: input.email } })) throw new ConflictError('user.exists', `A user with email ${input.email} exists`);
      const u = await db.user.create({ data: { id: randomUUID(), email: input.email, name: input.name, passwordHash: await hashPassword(input.password), roles: JSON.stringify(input.roles) } });
      await record('user.created', { userId: u.id, email: u.email, roles: input.roles }, by);
      return toUser(u);
    },

    async setRoles(userId: string, raw: unknown, by: Actor): Promise<PublicUser> {
      const roles = parse(RoleList, raw, 'user.invalid_roles');
      const u = await db.user.findUnique({ where: { id: userId } });
      if (!u) throw new NotFoundError('user.not_found', `No user '${userId}'`, { userId });
      if (by.id === userId && !roles.includes('admin') && (JSON.parse(u.roles) as Role[]).includes('admin'))
        throw new ForbiddenError('user.self_demotion', 'You cannot remove your own admin role');
      const updated = await db.user.update({ where: { id: userId }, data: { roles: JSON.stringify(roles) } });
      await record('user.roles_changed', { userId, roles }, by);
      return toUser(updated);
    },

    async setDisabled(userId: string, disabled: boolean, by: Actor): Promise<PublicUser> {
      if (by.id === userId) throw new ForbiddenError('user.self_disable', 'You cannot disable yourself');
      const u = await db.user.update({ where: { id: userId }, data: { disabled } }).catch(() => {
        throw new NotFoundError('user.not_found', `No user '${userId}'`, { userId });
      });
      if (disabled) await db.session.deleteMany({ where: { userId } });
      await record(disabled ? 'user.disabled' : 'user.enabled', { userId }, by);
      return toUser(u);
    },

    async changePassword(actor: Actor, raw: { current: unknown; next: unknown }) {
      if (actor.kind !== 'user') throw new ForbiddenError('auth.not_a_user', 'Only people have passwords');
      const u = await db.user.findUnique({ where: { id: actor.id } });
      if (!u || typeof raw.current !== 'string' || !(await verifyPassword(raw.current, u.passwordHash))) throw new UnauthorizedError('auth.invalid_credentials', 'The current password is wrong');
      const next = parse(Password, raw.next, 'auth.weak_password');
      await db.user.update({ where: { id: u.id }, data: { passwordHash: await hashPassword(next) } });
      await db.session.deleteMany({ where: { userId: u.id } });
      await record('user.password_changed', { userId: u.id }, actor);
    },

    async listKeys(): Promise<PublicApiKey[]> {
      return (await db.apiKey.findMany({ orderBy: { createdAt: 'desc' } })).map(toKey);
    },

    /** Creates a key; the secret is returned once and only its hash is kept. */
    async createKey(raw: unknown, by: Actor | string, secret?: string): Promise<PublicApiKey & { secret: string }> {
      const input = parse(NewApiKey, raw, 'apikey.invalid');
      const value = secret ?? newSecret('spk');
      const k = await db.apiKey.create({ data: { id: randomUUID(), name: input.name, prefix: value.slice(0, 10), hash: sha256(value), scopes: JSON.stringify(input.scopes), createdBy: typeof by === 'string' ? by : by.name } });
      await record('apikey.created', { keyId: k.id, name: k.name, scopes: input.scopes }, by);
      return { ...toKey(k), secret: value };
    },

    async revokeKey(keyId: string, by: Actor): Promise<PublicApiKey> {
      const k = await db.apiKey.findUnique({ where: { id: keyId } });
      if (!k) throw new NotFoundError('apikey.not_found', `No API key '${keyId}'`, { keyId });
      if (k.revokedAt) return toKey(k);
      const updated = await db.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date(now()) } });
      forgetKey(keyId);
      await record('apikey.revoked', { keyId }, by);
      return toKey(updated);
    },

    /**
     * First start: an admin from SPINE_ADMIN_EMAIL/SPINE_ADMIN_PASSWORD when no admin exists; an
     * admin-scoped key for SPINE_API_KEY; in demo mode one user per role (password `spine-demo-<role>`).
     */
    async bootstrap(cfg: { adminEmail?: string; adminPassword?: string; apiKey?: string; demoUsers?: boolean }) {
      const users = await db.user.findMany({ select: { roles: true, email: true } });
      const hasAdmin = users.some((u) => (JSON.parse(u.roles) as Role[]).includes('admin'));
      if (!hasAdmin && cfg.adminEmail && cfg.adminPassword)
        await service.createUser({ email: cfg.adminEmail, name: 'Administrator', password: cfg.adminPassword, roles: ['admin'] }, 'bootstrap');
      if (cfg.demoUsers) {
        const have = new Set(users.map((u) => u.email));
        for (const role of ROLES) {
          const email = `${role}@demo.spine`;
          if (!have.has(email)) await service.createUser({ email, name: `Demo ${role}`, password: `spine-demo-${role}`, roles: [role] }, 'bootstrap');
        }
      }
      if (cfg.apiKey) {
        if (!cfg.apiKey.startsWith('spk_') || cfg.apiKey.length < 24) throw new Error('SPINE_API_KEY must start with "spk_" and be at least 24 characters');
        const existing = await db.apiKey.findUnique({ where: { hash: sha256(cfg.apiKey) } });
        if (!existing) await service.createKey({ name: 'SPINE_API_KEY', scopes: { publish: ['*'], subscribe: ['*'], startRuns: true, roles: ['admin'] } }, 'bootstrap', cfg.apiKey);
      }
    },

    /**
     * Follows the log for `apikey.revoked` (this process's and every other's) and drops the revoked key from
     * the cache when its event arrives, from the head on; meanwhile the cache keeps keys for
     * KEY_CACHE_WATCHED_MS. Resolves when `signal` aborts.
     */
    async watchRevocations(signal: AbortSignal): Promise<void> {
      const events = spine.subscribe({ types: ['apikey.revoked'], signal });
      keyCache.clear();
      keyCacheMs = KEY_CACHE_WATCHED_MS;
      try {
        for await (const e of events) {
          const keyId = (e.payload as { keyId?: unknown }).keyId;
          if (typeof keyId === 'string') forgetKey(keyId);
        }
      } catch (err) {
        if (!signal.aborted) throw err;
      } finally {
        keyCacheMs = KEY_CACHE_MS;
      }
    },

    async hasAdmin(): Promise<boolean> {
      return (await db.user.findMany({ select: { roles: true } })).some((u) => (JSON.parse(u.roles) as Role[]).includes('admin'));
    },
  };
  return service;
}
export type AuthService = ReturnType<typeof createAuthService>;
export { UnauthorizedError };
