import { describe, expect, it } from 'vitest';
import { callError, errorMessage } from './callError';

const trpcError = (httpStatus: number, code: string, message = 'm') => ({ message: 'raw', data: { httpStatus, error: { code, message } } });

describe('reading a failed call', () => {
  it('takes the code and message the server sent', () => {
    expect(callError(trpcError(409, 'approval.already_decided', 'decided a moment ago'))).toEqual({ code: 'approval.already_decided', message: 'decided a moment ago', httpStatus: 409 });
    expect(callError(new Error('offline'))).toEqual({ code: 'request.failed', message: 'offline', httpStatus: null });
    expect(callError(null).message).toBe('Something went wrong');
  });

  it('words it for people: the server message, else the error, else what was thrown', () => {
    expect(errorMessage(trpcError(409, 'workflow.draft_conflict', 'changed elsewhere'))).toBe('changed elsewhere');
    expect(errorMessage({ message: 'raw', data: null })).toBe('raw');
    expect(errorMessage(new Error('offline'))).toBe('offline');
    expect(errorMessage('plain words')).toBe('plain words');
  });
});
