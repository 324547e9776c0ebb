import { describe, expect, it } from 'vitest';
import { callError, isUnauthorized } from './trpcError';

const trpcError = (httpStatus: number, code: string, message = 'm') => ({ message: 'raw', data: { httpStatus, error: { code, message } } });

describe('reading a failed call', () => {
  it('takes the code and message the server sent', () => {
    expect(callError(trpcError(409, 'approval.already_decided', 'decided a moment ago'))).toEqual({ code: 'approval.already_decided', message: 'decided a moment ago', httpStatus: 409 });
    expect(callError(new Error('offline'))).toEqual({ code: 'request.failed', message: 'offline', httpStatus: null });
    expect(callError(null).message).toBe('Something went wrong');
  });

  it('a missing session sends people to sign in; a wrong current password does not', () => {
    expect(isUnauthorized(trpcError(401, 'auth.unauthenticated'))).toBe(true);
    expect(isUnauthorized(trpcError(401, 'auth.invalid_credentials'))).toBe(false);
    expect(isUnauthorized(trpcError(403, 'auth.forbidden'))).toBe(false);
  });
});
