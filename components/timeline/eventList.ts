/**
 * How an event's payload is shown on one line. Pure.
 */
import type { SpineEvent } from '@/server/spine/events';

/** The payload on one line, shortened for the row; the full text is shown on demand. */
export function payloadPreview(payload: SpineEvent['payload'], max = 240): string {
  const text = JSON.stringify(payload) ?? 'null';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
