/**
 * The webhook agent: POSTs `{ event, envelope, idempotencyKey, input }` as JSON to the agent's URL and
 * takes the JSON response as its result. When the agent has a secret the request is signed in the
 * Standard Webhooks format (server/net/webhooks.ts; `webhook-id` is the idempotency key, so a receiver
 * also deduplicates retries by it), and it always carries `Idempotency-Key` (and the task's W3C
 * `traceparent` / `tracestate`, so the agent's spans join the run's trace). Status steers retries: 2xx
 * ok; 408/429/5xx and network errors retry (429 honours Retry-After); other 4xx do not. The URL goes
 * through the outbound guard (private addresses refused at connect time); redirects are not followed;
 * responses over 1 MiB are refused.
 */
import { z } from 'zod';
import { isSpineError } from '@/server/errors';
import { outboundFetch, signWebhook } from '@/server/net';
import type { Json } from '@/server/spine';
import { NonRetryableAgentError, RetryAfterError } from '../errors';
import { traceHeaders, type AgentAdapter, type AgentRecord, type AgentTask } from '../adapter';

export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Headers Spine sets itself: a config cannot override them. */
const OWN_HEADERS = new Set(['content-type', 'idempotency-key', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-length', 'host']);

/** An HTTP agent's config. */
export const HttpConfig = z
  .object({
    /** Where tasks are POSTed (through the outbound guard). */
    url: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'the url must be http(s)'),
    /** Signs each request (Standard Webhooks); sealed at rest, never shown again. */
    secret: z.string().min(16, 'a signing secret has at least 16 characters').max(512).optional(),
    /** Extra request headers (an `Authorization` header is sealed at rest and redacted like the secret). */
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'header names are letters, digits and dashes'), z.string().max(4096))
      .refine((h) => Object.keys(h).every((k) => !OWN_HEADERS.has(k.toLowerCase())), { message: `these headers are set by Spine: ${[...OWN_HEADERS].join(', ')}` })
      .optional(),
  })
  .strict();
export type HttpConfig = z.infer<typeof HttpConfig>;

export class HttpAdapter implements AgentAdapter {
  readonly kind = 'http' as const;
  readonly configSchema = HttpConfig;

  async invoke(agent: AgentRecord, task: AgentTask, signal: AbortSignal): Promise<Json> {
    const url = typeof agent.config.url === 'string' ? agent.config.url : '';
    if (!/^https?:\/\//.test(url)) throw new NonRetryableAgentError(`agent '${agent.name}' has no valid http(s) url`);
    const body = JSON.stringify({ event: task.event, envelope: task.envelope, idempotencyKey: task.idempotencyKey, input: task.input, runId: task.runId, nodeId: task.nodeId, attempt: task.attempt });
    const extra = agent.config.headers !== null && typeof agent.config.headers === 'object' && !Array.isArray(agent.config.headers) ? agent.config.headers : {};
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(extra)) if (typeof v === 'string' && !OWN_HEADERS.has(k.toLowerCase())) headers[k] = v;
    Object.assign(headers, { 'content-type': 'application/json', 'idempotency-key': task.idempotencyKey, 'user-agent': 'spine-agent-dispatcher/1' }, traceHeaders(task.trace));
    const secret = typeof agent.config.secret === 'string' ? agent.config.secret : undefined;
    if (secret) Object.assign(headers, signWebhook(secret, task.idempotencyKey, Math.floor(Date.now() / 1000), body));
    let res: Response;
    try {
      res = await outboundFetch(url, { method: 'POST', headers, body, signal });
    } catch (e) {
      if (isSpineError(e)) throw new NonRetryableAgentError(`agent '${agent.name}': ${e.message}`, { cause: e });
      throw e;
    }
    const text = await readLimited(res, MAX_RESPONSE_BYTES);
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after'));
      throw new RetryAfterError(`agent '${agent.name}' is rate limited (429)`, Number.isFinite(after) ? after * 1000 : 1000);
    }
    if (res.status >= 300 && res.status < 400) throw new NonRetryableAgentError(`agent '${agent.name}' answered a redirect (${res.status}); redirects are not followed`);
    if (res.status >= 400 && res.status < 500 && res.status !== 408) throw new NonRetryableAgentError(`agent '${agent.name}' refused the task (${res.status}): ${text.slice(0, 200)}`);
    if (!res.ok) throw new Error(`agent '${agent.name}' failed (${res.status}): ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text) as Json;
    } catch {
      throw new NonRetryableAgentError(`agent '${agent.name}' answered with invalid JSON`);
    }
  }
}

async function readLimited(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new NonRetryableAgentError(`agent response exceeds ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
