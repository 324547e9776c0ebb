/**
 * One error family for all of Spine, mapped once per transport (HTTP: server/http/errors.ts; tRPC:
 * server/api/trpc.ts). Codes are stable `area.snake_case` strings that tests assert; messages are for
 * people. Ids go in `details`, never only in the English text.
 *
 * One error code, one status: an error's HTTP status comes from `ERROR_STATUS` through its class, and
 * both transports answer with that status (errors.test.ts walks every code thrown in server/ and checks
 * that each has exactly one status, the same over /api/v1 and over tRPC).
 *
 * Next.js bundles route handlers separately from the custom server, so the same class can exist twice
 * in one process: recognise errors with `isSpineError`, never with `instanceof` across that seam.
 */

/** The one table from the kind of an error to its HTTP status. Every SpineError's status is one of these. */
export const ERROR_STATUS = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
  payloadTooLarge: 413,
  rateLimited: 429,
  internal: 500,
  unavailable: 503,
} as const;
export type ErrorKind = keyof typeof ERROR_STATUS;
/** An HTTP status a SpineError may carry (5xx messages are hidden by both transports). */
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorKind];

export class SpineError extends Error {
  readonly isSpineError = true;
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: ErrorStatus,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'SpineError';
  }
}

export class ValidationError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ERROR_STATUS.invalid, details);
  }
}
export class NotFoundError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ERROR_STATUS.notFound, details);
  }
}
export class ForbiddenError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ERROR_STATUS.forbidden, details);
  }
}
export class ConflictError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ERROR_STATUS.conflict, details);
  }
}
export class PayloadTooLargeError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ERROR_STATUS.payloadTooLarge, details);
  }
}
/** The caller is not signed in (or its credentials are not valid). */
export class UnauthenticatedError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ERROR_STATUS.unauthenticated, details);
  }
}
export class UnavailableError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ERROR_STATUS.unavailable, details);
  }
}

export function isSpineError(e: unknown): e is SpineError {
  return typeof e === 'object' && e !== null && (e as { isSpineError?: unknown }).isSpineError === true;
}

export function assertNever(x: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(x)}`);
}
