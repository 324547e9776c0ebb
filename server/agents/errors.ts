/**
 * Agent failures steer retries by type, not by string: throw NonRetryableAgentError for a failure that
 * another attempt cannot fix (bad input, refused by policy), RetryAfterError to ask for a specific wait.
 * Anything else thrown is retryable with the node's backoff.
 */
import type { AgentUsage } from './adapter';
export class NonRetryableAgentError extends Error {
  readonly nonRetryable = true;
  /** Tokens an LLM agent spent before it failed (recorded on task.failed, so a failure's cost is counted). */
  readonly usage?: AgentUsage;
  constructor(message: string, opts?: { cause?: unknown; usage?: AgentUsage }) {
    super(message, opts?.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'NonRetryableAgentError';
    if (opts?.usage) this.usage = opts.usage;
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

/** The tokens a failed call spent, when its error says. */
export function usageOf(e: unknown): AgentUsage | undefined {
  const u = typeof e === 'object' && e !== null ? (e as { usage?: AgentUsage }).usage : undefined;
  return u && typeof u.inputTokens === 'number' && typeof u.outputTokens === 'number' ? u : undefined;
}

export function retryAfterOf(e: unknown): number | undefined {
  const v = typeof e === 'object' && e !== null ? (e as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  return typeof v === 'number' && v >= 0 ? v : undefined;
}
