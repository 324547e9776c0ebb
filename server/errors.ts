/**
 * One error family for all of Spine, mapped once per transport (HTTP: server/http/errors.ts; tRPC:
 * server/api/trpc.ts). Codes are stable `area.snake_case` strings that tests assert; messages are for
 * people. Ids go in `details`, never only in the English text.
 *
 * Next.js bundles route handlers separately from the custom server, so the same class can exist twice
 * in one process: recognise errors with `isSpineError`, never with `instanceof` across that seam.
 */

export class SpineError extends Error {
  readonly isSpineError = true;
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'SpineError';
  }
}

export class ValidationError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 400, details);
  }
}
export class NotFoundError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 404, details);
  }
}
export class ForbiddenError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 403, details);
  }
}
export class ConflictError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 409, details);
  }
}
export class PayloadTooLargeError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 413, details);
  }
}
export class UnavailableError extends SpineError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 503, details);
  }
}

export function isSpineError(e: unknown): e is SpineError {
  return typeof e === 'object' && e !== null && (e as { isSpineError?: unknown }).isSpineError === true;
}

export function assertNever(x: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(x)}`);
}
