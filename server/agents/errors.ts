/**
 * Agent failures steer retries by type, not by string: throw NonRetryableAgentError for a failure that
 * another attempt cannot fix (bad input, refused by policy), RetryAfterError to ask for a specific wait.
 * Anything else thrown is retryable with the node's backoff.
 */
export class NonRetryableAgentError extends Error {
  readonly nonRetryable = true;
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'NonRetryableAgentError';
  }
}

export class RetryAfterError extends Error {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.name = 'RetryAfterError';
    this.retryAfterMs = retryAfterMs;
  }
}

export function isNonRetryable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { nonRetryable?: unknown }).nonRetryable === true;
}

export function retryAfterOf(e: unknown): number | undefined {
  const v = typeof e === 'object' && e !== null ? (e as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  return typeof v === 'number' && v >= 0 ? v : undefined;
}
