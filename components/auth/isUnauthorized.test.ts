import { describe, expect, it } from 'vitest';
import { isUnauthorized } from './isUnauthorized';

const trpcError = (httpStatus: number, code: string, message = 'm') => ({ message: 'raw', data: { httpStatus, error: { code, message } } });

describe('a failed call and the session', () => {
  it('a missing session sends people to sign in; a wrong current password does not', () => {
    expect(isUnauthorized(trpcError(401, 'auth.unauthenticated'))).toBe(true);
    expect(isUnauthorized(trpcError(401, 'auth.invalid_credentials'))).toBe(false);
    expect(isUnauthorized(trpcError(403, 'auth.forbidden'))).toBe(false);
  });
});
