/**
 * The live list's one rule: a union of events by seq, newest first, capped. Whatever order the initial
 * read and the pushed events arrive in, and however often a reconnect replays, each seq shows once.
 */
import type { SpineEvent } from '@/server/spine/events';

/** Rows kept on screen. Older ones drop off the bottom. */
export const MAX_ROWS = 200;

/** Returns `current` itself when nothing in `incoming` is new, so React can skip the render. */
export function mergeNewestFirst(
  current: readonly SpineEvent[],
  incoming: readonly SpineEvent[],
  limit: number = MAX_ROWS,
): readonly SpineEvent[] {
  if (incoming.length === 0) return current;
  const first = incoming[0]!;
  const top = current[0];
  // The common case: one pushed event, newer than everything shown.
  if (incoming.length === 1 && (top === undefined || first.seq > top.seq)) return [first, ...current.slice(0, limit - 1)];
  const bySeq = new Map<number, SpineEvent>();
  for (const e of current) bySeq.set(e.seq, e);
  let added = false;
  for (const e of incoming) {
    if (bySeq.has(e.seq)) continue;
    bySeq.set(e.seq, e);
    added = true;
  }
  if (!added) return current;
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, limit);
}

/** The payload on one line, shortened for the row; the full text is shown on demand. */
export function payloadPreview(payload: SpineEvent['payload'], max = 240): string {
  const text = JSON.stringify(payload) ?? 'null';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
