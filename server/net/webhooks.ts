/**
 * Outbound webhooks are signed in the Standard Webhooks format (standardwebhooks.com): headers
 * `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`. Receivers reject stale timestamps and repeated ids to stop replays.
 * Secrets may be given as `whsec_<base64>` (the format's convention) or as plain text.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

function keyBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

export function signWebhook(secret: string, id: string, timestampS: number, body: string): Record<string, string> {
  const sig = createHmac('sha256', keyBytes(secret)).update(`${id}.${timestampS}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': `v1,${sig}` };
}

/** Verifies a signed request as a receiver would (used by tests and by the SDK). */
export function verifyWebhook(secret: string, headers: Record<string, string | undefined>, body: string, opts: { nowS?: number; toleranceS?: number } = {}): boolean {
  const id = headers['webhook-id'];
  const ts = Number(headers['webhook-timestamp']);
  const sigs = headers['webhook-signature'];
  if (!id || !Number.isFinite(ts) || !sigs) return false;
  const now = opts.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceS ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', keyBytes(secret)).update(`${id}.${ts}.${body}`).digest('base64'));
  return sigs.split(' ').some((s) => {
    const [v, sig] = s.split(',');
    const got = Buffer.from(sig ?? '');
    return v === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
  });
}
