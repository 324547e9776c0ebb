import { callError } from '@/components/ui/callError';

/**
 * True for "you are not signed in" (a 401 from tRPC or HTTP). A wrong *current* password when changing it
 * is also a 401 (`auth.invalid_credentials`), but the session is fine: that one is not.
 */
export function isUnauthorized(e: unknown): boolean {
  const c = callError(e);
  return c.httpStatus === 401 && c.code !== 'auth.invalid_credentials';
}
