/**
 * What a failed call says, for people and for code: the server's `{ error: { code, message } }` (see
 * server/api/trpc.ts and server/http/errors.ts) and the HTTP status, from a tRPC client error or a plain
 * `fetch` response body. Every page words a failure through these, never by reading `error.data` itself.
 */
export type CallError = { code: string; message: string; httpStatus: number | null };

type TrpcLike = { message?: unknown; data?: { httpStatus?: unknown; error?: { code?: unknown; message?: unknown } } | null };

export function callError(e: unknown): CallError {
  const t = (typeof e === 'object' && e !== null ? e : {}) as TrpcLike;
  const data = t.data ?? null;
  const httpStatus = typeof data?.httpStatus === 'number' ? data.httpStatus : null;
  const code = typeof data?.error?.code === 'string' ? data.error.code : 'request.failed';
  const message = typeof data?.error?.message === 'string' ? data.error.message : typeof t.message === 'string' && t.message ? t.message : 'Something went wrong';
  return { code, message, httpStatus };
}

/** Only the words of a failure (`callError(e).message`); anything thrown that is not an object is shown as is. */
export function errorMessage(e: unknown): string {
  return typeof e === 'object' && e !== null ? callError(e).message : String(e);
}

/** Reads `{ error: { code, message } }` from a failed fetch response. */
export async function responseError(res: Response): Promise<CallError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
  return {
    code: typeof body?.error?.code === 'string' ? body.error.code : `http.${res.status}`,
    message: typeof body?.error?.message === 'string' ? body.error.message : `The server answered ${res.status}`,
    httpStatus: res.status,
  };
}
