/** The JSON values Spine stores. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A run's shared context, as the engine keeps it (a new version on every change). */
export type Envelope = {
  runId: string;
  intent: string | null;
  constraints: Record<string, Json>;
  deadline: string | null;
  state: Record<string, Json>;
  version: number;
  /** The run's latest events, newest last (`omitted` counts the older ones left out). */
  history: { entries: { seq: number; type: string; source: { kind: string; name: string }; time: string }[]; omitted: number };
};

/** An event as Spine delivers it. */
export type SpineEvent = {
  seq: number;
  id: string;
  type: string;
  key: string | null;
  runId: string | null;
  causationId: string | null;
  source: { kind: string; name: string };
  /** ISO-8601 commit time. */
  time: string;
  envelopeVersion: number | null;
  payload: Json;
  idempotencyKey: string | null;
  hash: string;
};

export type PublishOptions = { key?: string; runId?: string; causationId?: string; idempotencyKey?: string };
