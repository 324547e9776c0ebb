/**
 * Every version a run's context envelope went through, rebuilt from the log: `run.started` opens version
 * 1 and each `context.patched` makes the next, folded with the log writer's own `evolveEnvelope`, so the
 * rebuilt versions are exactly the ones the writer stamped on the run's events. Pure.
 */
import { evolveEnvelope, type Envelope, type EnvelopeRecord, type Json, type SpineEvent } from '@/server/spine';

export type EnvelopeVersion = {
  version: number;
  /** The event that produced this version. */
  seq: number;
  time: string;
  source: { kind: string; name: string };
  /** Why it changed (`output` of a node, `setContext`, or a writer's reason); null for the opening. */
  reason: string | null;
  nodeId: string | null;
  /** The merge patch applied (null for the opening). */
  patch: Json | null;
  intent: string | null;
  constraints: Record<string, Json>;
  deadline: string | null;
  state: Record<string, Json>;
};

/** Most versions returned; a run with more lists the first and the newest ones (`omitted` says how many not). */
export const MAX_VERSIONS = 500;

export function envelopeVersions(events: readonly SpineEvent[]): { versions: EnvelopeVersion[]; omitted: number } {
  let current: EnvelopeRecord | undefined;
  const all: EnvelopeVersion[] = [];
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (e.type !== 'run.started' && e.type !== 'context.patched') continue;
    let next: EnvelopeRecord | undefined;
    try {
      next = evolveEnvelope(current, { type: e.type, runId: e.runId, payload: e.payload });
    } catch {
      // The writer refused it, so it is not in the log; a row that is there anyway was not written by Spine.
      continue;
    }
    if (!next) continue;
    current = next;
    const p = e.payload !== null && typeof e.payload === 'object' && !Array.isArray(e.payload) ? e.payload : {};
    all.push({
      version: next.version,
      seq: e.seq,
      time: e.time,
      source: e.source,
      reason: e.type === 'run.started' ? null : typeof p.reason === 'string' ? p.reason : null,
      nodeId: typeof p.nodeId === 'string' ? p.nodeId : null,
      patch: e.type === 'run.started' ? null : (p.patch ?? null),
      intent: next.intent,
      constraints: next.constraints,
      deadline: next.deadline,
      state: next.state,
    });
  }
  if (all.length <= MAX_VERSIONS) return { versions: all, omitted: 0 };
  const head = all.slice(0, 50);
  const tail = all.slice(all.length - (MAX_VERSIONS - 50));
  return { versions: [...head, ...tail], omitted: all.length - MAX_VERSIONS };
}

/** Where an envelope version comes from: the run's opening, and the event that made this version (as the stored envelope names them). */
export type EnvelopeMade = { openedSeq: number; updatedSeq: number; updatedAt: string };

/**
 * The envelope as it was at `version`, folded from the run's opening and patches in seq order (the
 * writer's own `evolveEnvelope`), or null when the run never reached that version. `history` is the
 * session history as a reader saw it then: the run's most recent events up to the one that made the
 * version (`recentDesc`, newest first, at most HISTORY_LIMIT), the older ones counted in `omitted`.
 */
export function envelopeAtVersion(
  runId: string,
  changes: readonly SpineEvent[],
  version: number,
  recentDesc: Envelope['history']['entries'],
  eventsUpTo: number,
): (Envelope & EnvelopeMade) | null {
  let current: EnvelopeRecord | undefined;
  const openedSeq = changes[0]?.seq ?? 0;
  for (const e of changes) {
    try {
      current = evolveEnvelope(current, { type: e.type, runId: e.runId, payload: e.payload }) ?? current;
    } catch {
      continue; // as envelopeVersions: a row the writer would have refused did not change the envelope
    }
    if (current?.version === version) {
      return {
        ...current, runId, openedSeq, updatedSeq: e.seq, updatedAt: e.time,
        history: { entries: [...recentDesc].reverse(), omitted: Math.max(0, eventsUpTo - recentDesc.length) },
      };
    }
  }
  return null;
}
