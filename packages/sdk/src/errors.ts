/**
 * What an agent's `handle` throws to steer the node's retry policy. Anything else thrown counts as
 * retryable (as `RetryableError` without a wait).
 */

/** Another attempt may succeed; `retryAfterMs` asks Spine to wait at least that long before it. */
export class RetryableError extends Error {
  readonly retryable = true;
  readonly retryAfterMs?: number;
  constructor(message: string, opts: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'RetryableError';
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

/** No other attempt can fix this (bad input, refused by policy): the task fails for good. */
export class NonRetryableError extends Error {
  readonly retryable = false;
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'NonRetryableError';
  }
}

/** A request to Spine that was refused: its HTTP status and Spine's error code. */
export class SpineApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SpineApiError';
  }
}
