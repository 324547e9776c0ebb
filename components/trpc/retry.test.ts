import { describe, expect, it } from 'vitest';
import { shouldRetry } from './retry';

const failure = (httpStatus?: number) => Object.assign(new Error('x'), httpStatus === undefined ? {} : { data: { httpStatus } });

describe('shouldRetry', () => {
  it('does not retry what will fail the same way: 401, 403, 404, 400', () => {
    for (const s of [400, 401, 403, 404, 409, 413]) expect(shouldRetry(0, failure(s)), String(s)).toBe(false);
  });
  it('retries network errors and 5xx twice, then gives up', () => {
    expect(shouldRetry(0, failure())).toBe(true);
    expect(shouldRetry(1, failure(503))).toBe(true);
    expect(shouldRetry(2, failure(503))).toBe(false);
  });
});
