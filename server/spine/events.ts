/**
 * The event record and its input schema: isomorphic (zod and plain TS, no `node:*`), so the UI and the
 * public API validate with the same rules the log enforces.
 *
 * An event type is a dotted lower-camel name with at least two segments (`case.opened`,
 * `task.completed`). A type pattern is a type where `*` matches exactly one segment, and a trailing `*`
 * matches one or more (`case.*` matches `case.opened` and `case.note.added`; `*` matches everything).
 */
import { z } from 'zod';

/**
 * Who wrote an event. The server sets it from the authenticated principal, never from a request body:
 * - `engine`: the workflow engine's own decisions (no client can be this kind);
 * - `agent`: an agent's result, recorded by the engine for the task it dispatched;
 * - `user`: a signed-in person; `apiKey`: automation holding an API key (named by the key);
 * - `system`: Spine's own services (audit checkpoints, the demo publisher, account changes);
 * - `node`: kept for histories written before sources were assigned by the server.
 */
export const SOURCE_KINDS = ['engine', 'agent', 'user', 'apiKey', 'system', 'node'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** The source of every event the engine decides. */
export const ENGINE_SOURCE = { kind: 'engine', name: 'engine' } as const satisfies { kind: SourceKind; name: string };

/**
 * Whether the engine wrote this event. Histories from before the `engine` kind existed name the engine as
 * `system/engine`; `system` is never assigned to a client either, so both forms are the engine's.
 */
export function isEngineSource(source: { kind: string; name: string }): boolean {
  return source.kind === 'engine' || (source.kind === 'system' && source.name === 'engine');
}

const SEGMENT = '[a-z][a-zA-Z0-9_-]*';
export const EVENT_TYPE_REGEX = new RegExp(`^${SEGMENT}(\\.${SEGMENT})+$`);
export const TYPE_PATTERN_REGEX = new RegExp(`^(\\*|${SEGMENT})(\\.(\\*|${SEGMENT}))*$`);

export const EventType = z
  .string()
  .max(128, 'event type is at most 128 characters')
  .regex(EVENT_TYPE_REGEX, 'event type must be a dotted name like "case.opened"');

export const TypePattern = z
  .string()
  .max(128)
  .regex(TYPE_PATTERN_REGEX, 'type pattern must be a dotted name where * matches a segment, like "case.*"');

export const EventSource = z
  .object({
    kind: z.enum(SOURCE_KINDS),
    name: z.string().min(1).max(128),
  })
  .strict();
export type EventSource = z.infer<typeof EventSource>;

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export const Json: z.ZodType<Json> = z.json();

/**
 * What a publisher supplies. Everything else (seq, id, time, hashes, envelope version) Spine assigns. Over
 * the public API `source` is the server's to set: a body may repeat the caller's own source, never another.
 */
export const EventInput = z
  .object({
    type: EventType,
    key: z.string().min(1).max(256).optional(),
    runId: z.string().min(1).max(128).optional(),
    causationId: z.string().min(1).max(128).optional(),
    source: EventSource.optional(),
    /** Any JSON value. Checked by the log's canonical-JSON walk (one pass instead of a zod tree walk). */
    payload: z.unknown().default({}),
    idempotencyKey: z.string().min(1).max(256).optional(),
  })
  .strict();
export type EventInput = z.input<typeof EventInput>;

/**
 * What the server's own code paths append (never parsed from a client): an event may bring its id, chosen
 * in advance with `newEventId()` so that events of the same append can name it as their cause, and
 * `basedOnIndex`, which writes the seq the event at that index of the same append receives into
 * `payload.basedOnSeq` (a decision made in the commit that starts a run records the real seq it saw).
 */
export const AppendInput = EventInput.extend({
  id: z.uuid().optional(),
  basedOnIndex: z.number().int().min(0).optional(),
}).strict();
export type AppendInput = z.input<typeof AppendInput>;

/** A committed event as every reader sees it. */
export type SpineEvent = {
  seq: number;
  id: string;
  type: string;
  key: string | null;
  runId: string | null;
  causationId: string | null;
  source: EventSource;
  /** ISO-8601 commit-batch time. */
  time: string;
  /** Version of the run's envelope when this event was appended (null without a run envelope). */
  envelopeVersion: number | null;
  payload: Json;
  idempotencyKey: string | null;
  prevHash: string;
  hash: string;
};

/** Filter shared by reads, subscriptions and the HTTP API. */
export const EventFilter = z
  .object({
    types: z.array(TypePattern).max(32).optional(),
    key: z.string().min(1).max(256).optional(),
    runId: z.string().min(1).max(128).optional(),
  })
  .strict();
export type EventFilter = z.infer<typeof EventFilter>;

export function matchesType(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.split('.');
  const t = type.split('.');
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    if (seg === '*' && i === p.length - 1) return t.length >= p.length;
    if (i >= t.length) return false;
    if (seg !== '*' && seg !== t[i]) return false;
  }
  return p.length === t.length;
}

export function matchesFilter(filter: EventFilter, e: Pick<SpineEvent, 'type' | 'key' | 'runId'>): boolean {
  if (filter.key !== undefined && e.key !== filter.key) return false;
  if (filter.runId !== undefined && e.runId !== filter.runId) return false;
  if (filter.types && filter.types.length > 0 && !filter.types.some((p) => matchesType(p, e.type))) return false;
  return true;
}
