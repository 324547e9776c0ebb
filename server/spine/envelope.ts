/**
 * The context envelope: per run, the user's original intent, constraints, deadline and a shared `state`
 * object with a monotonic `version`. The log writer maintains it inside the same transaction as the
 * event that changes it, so an envelope version and the event that produced it commit together:
 *
 * - `run.started` opens the envelope at version 1 from its payload `{ intent?, constraints?, deadline?, state? }`;
 * - `context.patched` applies its payload `{ patch, expectedVersion?, reason? }` to `state` as a JSON merge
 *   patch (RFC 7386: objects merge, `null` deletes a key) and bumps the version by one.
 *
 * Every other event with a `runId` is stamped with the run's current envelope version.
 *
 * Session history rule: the envelope lists the run's most recent HISTORY_LIMIT events (seq, type, source,
 * time), newest last; older entries are dropped and counted in `history.omitted`. The full record stays in
 * the log. History is read from the log when an envelope is fetched, so it costs nothing at append.
 */
import { z } from 'zod';
import { ConflictError, ValidationError } from '@/server/errors';
import { Json, type EventSource } from './events';

export const HISTORY_LIMIT = 20;
export const ENVELOPE_OPEN_TYPE = 'run.started';
export const ENVELOPE_PATCH_TYPE = 'context.patched';

const JsonObject = z.record(z.string(), Json);

/** A deadline is an ISO instant or epoch milliseconds. */
const Deadline = z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]);

export const EnvelopeOpening = z.object({
  intent: z.string().max(4000).optional(),
  constraints: JsonObject.optional(),
  deadline: Deadline.optional(),
  state: JsonObject.optional(),
});

export const ContextPatch = z.object({
  patch: JsonObject,
  /** Refuse the patch (409) unless the envelope is at this version: optimistic concurrency. */
  expectedVersion: z.number().int().min(1).optional(),
  reason: z.string().max(500).optional(),
});

export type HistoryEntry = { seq: number; type: string; source: EventSource; time: string };

export type Envelope = {
  runId: string;
  intent: string | null;
  constraints: Record<string, Json>;
  deadline: string | null;
  state: Record<string, Json>;
  version: number;
  history: { entries: HistoryEntry[]; omitted: number };
};

/** The stored part of an envelope (history is derived from the log). */
export type EnvelopeRecord = Omit<Envelope, 'history'>;

export function applyMergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, Json> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k];
    else base[k] = applyMergePatch(base[k] ?? null, v);
  }
  return base;
}

/**
 * Computes the envelope after `event`, or undefined when the event does not touch envelopes.
 * Throws ValidationError/ConflictError: the writer rejects the whole append, nothing is stored.
 */
export function evolveEnvelope(
  current: EnvelopeRecord | undefined,
  event: { type: string; runId: string | null; payload: Json },
): EnvelopeRecord | undefined {
  if (event.type !== ENVELOPE_OPEN_TYPE && event.type !== ENVELOPE_PATCH_TYPE) return undefined;
  if (!event.runId) throw new ValidationError('envelope.run_required', `'${event.type}' needs a runId`);
  if (event.type === ENVELOPE_OPEN_TYPE) {
    if (current) throw new ConflictError('envelope.already_open', `Run '${event.runId}' already started`, { runId: event.runId });
    const parsed = EnvelopeOpening.safeParse(event.payload ?? {});
    if (!parsed.success) throw new ValidationError('envelope.invalid_opening', parsed.error.issues[0]?.message ?? 'invalid', { runId: event.runId });
    const o = parsed.data;
    return {
      runId: event.runId,
      intent: o.intent ?? null,
      constraints: o.constraints ?? {},
      deadline: o.deadline === undefined ? null : new Date(o.deadline).toISOString(),
      state: o.state ?? {},
      version: 1,
    };
  }
  const parsed = ContextPatch.safeParse(event.payload);
  if (!parsed.success) throw new ValidationError('envelope.invalid_patch', `context.patched payload must be { patch: object }: ${parsed.error.issues[0]?.message}`, { runId: event.runId });
  const base: EnvelopeRecord = current ?? { runId: event.runId, intent: null, constraints: {}, deadline: null, state: {}, version: 0 };
  if (parsed.data.expectedVersion !== undefined && parsed.data.expectedVersion !== base.version) {
    throw new ConflictError('envelope.version_conflict', `Envelope of run '${event.runId}' is at version ${base.version}, not ${parsed.data.expectedVersion}`, { runId: event.runId, version: base.version });
  }
  return { ...base, state: applyMergePatch(base.state, parsed.data.patch) as Record<string, Json>, version: base.version + 1 };
}
