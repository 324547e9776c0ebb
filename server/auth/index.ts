/**
 * Who is calling, and what they may do: users and sessions, API keys with roles and scopes, the same-origin
 * check for cookie-authenticated writes, and the box that seals secrets at rest. Roles (`./roles`) are an
 * isomorphic leaf the browser imports directly. Callers import from `@/server/auth`.
 */
export * from './roles';
export {
  createAuthService, readCookie, SESSION_COOKIE, SESSION_TTL_MS, NewUser, NewApiKey, RoleList, KeyScopesInput, Email, Password,
  type AuthService, type PublicUser, type PublicApiKey,
} from './service';
export { isSameOrigin } from './origin';
export { SECRET_FIELDS, seal, open, isSealed, type Sealed } from './secretBox';
