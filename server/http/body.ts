/**
 * Reading request bodies safely: a hard byte limit enforced while streaming (a lying or missing
 * Content-Length cannot get past it), then JSON parsing with a clear 400.
 */
import { PayloadTooLargeError, ValidationError } from '@/server/errors';

export async function readJsonBody(req: Request, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes)
    throw new PayloadTooLargeError('request.too_large', `request body is ${declared} bytes; the limit is ${limitBytes}`, { limit: limitBytes });
  if (!req.body) throw new ValidationError('request.empty_body', 'request body is empty; send JSON');
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLargeError('request.too_large', `request body exceeds the limit of ${limitBytes} bytes`, { limit: limitBytes });
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ValidationError('request.empty_body', 'request body is empty; send JSON');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError('request.malformed_json', `request body is not valid JSON: ${(e as Error).message}`);
  }
}
