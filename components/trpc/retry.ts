/**
 * Whether a failed query is worth trying again: a 4xx (not signed in, not allowed, not found, bad input)
 * will fail the same way, so only network errors and 5xx are retried, at most twice.
 */
export function shouldRetry(failures: number, error: unknown): boolean {
  if (failures >= 2) return false;
  const status = (error as { data?: { httpStatus?: unknown } } | null)?.data?.httpStatus;
  return !(typeof status === 'number' && status >= 400 && status < 500);
}
