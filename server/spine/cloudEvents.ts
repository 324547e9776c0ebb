/**
 * The one mapping between Spine events and CloudEvents 1.0 (structured JSON mode). Spine fields without a
 * CloudEvents attribute travel as extensions: `seq`, `runid`, `causationid`, `envelopeversion`,
 * `idempotencykey` (extension names are lower-case alphanumerics by the spec).
 *
 *   type ↔ type · id ↔ id · time ↔ time · key ↔ subject · payload ↔ data · source ↔ "/spine/<kind>/<name>"
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { Json, SOURCE_KINDS, type EventInput, type SpineEvent } from './events';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

export type CloudEvent = {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  data: Json;
  seq: number;
  runid?: string;
  causationid?: string;
  envelopeversion?: number;
  idempotencykey?: string;
};

export function toCloudEvent(e: SpineEvent): CloudEvent {
  return {
    specversion: '1.0',
    id: e.id,
    source: `/spine/${e.source.kind}/${encodeURIComponent(e.source.name)}`,
    type: e.type,
    time: e.time,
    ...(e.key !== null && { subject: e.key }),
    datacontenttype: 'application/json',
    data: e.payload,
    seq: e.seq,
    ...(e.runId !== null && { runid: e.runId }),
    ...(e.causationId !== null && { causationid: e.causationId }),
    ...(e.envelopeVersion !== null && { envelopeversion: e.envelopeVersion }),
    ...(e.idempotencyKey !== null && { idempotencykey: e.idempotencyKey }),
  };
}

/** An incoming structured CloudEvent. Its `id` becomes the idempotency key: CloudEvents dedupe on source+id. */
export const IncomingCloudEvent = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string().min(1).max(200),
    source: z.string().min(1).max(200),
    type: z.string(),
    time: z.string().optional(),
    subject: z.string().optional(),
    datacontenttype: z.string().optional(),
    data: Json.optional(),
    runid: z.string().optional(),
    causationid: z.string().optional(),
    /** The Distributed Tracing extension (W3C trace context): runs the event triggers join that trace. */
    traceparent: z.string().max(256).optional(),
    tracestate: z.string().max(512).optional(),
  })
  .strict();

export function fromCloudEvent(raw: unknown): EventInput {
  const parsed = IncomingCloudEvent.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ValidationError('event.invalid_cloudevent', `${i.path.join('.') || 'cloudevent'}: ${i.message}`);
  }
  const ce = parsed.data;
  if (ce.datacontenttype && !ce.datacontenttype.startsWith('application/json'))
    throw new ValidationError('event.invalid_cloudevent', 'datacontenttype must be application/json');
  // A `/spine/<kind>/<name>` source claims a Spine principal: publishAs refuses it unless it is the caller.
  // Any other URI is the producer's own context (CloudEvents dedupe on source + id): it stays in the
  // idempotency key, and the event's source is the authenticated caller.
  const m = /^\/spine\/([a-zA-Z]+)\/(.+)$/.exec(ce.source);
  const claimed = m ? { kind: (SOURCE_KINDS as readonly string[]).includes(m[1]!) ? (m[1] as (typeof SOURCE_KINDS)[number]) : 'agent', name: decodeSegment(m[2]!).slice(0, 128) } : undefined;
  return {
    type: ce.type,
    ...(ce.subject !== undefined && { key: ce.subject }),
    ...(ce.runid !== undefined && { runId: ce.runid }),
    ...(ce.causationid !== undefined && { causationId: ce.causationid }),
    ...(claimed && { source: claimed }),
    payload: ce.data ?? {},
    idempotencyKey: `ce:${ce.source}:${ce.id}`.slice(0, 256),
  };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ValidationError('event.invalid_cloudevent', 'source: not a valid percent-encoded URI reference');
  }
}
