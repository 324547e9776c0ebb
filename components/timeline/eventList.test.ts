import { describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine/events';
import { mergeNewestFirst, payloadPreview } from './eventList';

const event = (seq: number): SpineEvent => ({
  seq,
  id: `e${seq}`,
  type: 'case.opened',
  key: null,
  runId: null,
  causationId: null,
  source: { kind: 'system', name: 'test' },
  time: '2026-01-01T00:00:00.000Z',
  envelopeVersion: null,
  payload: {},
  idempotencyKey: null,
  prevHash: '',
  hash: '',
});
const seqs = (list: readonly SpineEvent[]) => list.map((e) => e.seq);

describe('the live event list', () => {
  it('puts a pushed event on top', () => {
    expect(seqs(mergeNewestFirst([event(2), event(1)], [event(3)]))).toEqual([3, 2, 1]);
  });

  it('shows each seq once when a reconnect replays events already shown', () => {
    const shown = [event(5), event(4), event(3)];
    expect(mergeNewestFirst(shown, [event(4)])).toBe(shown);
    expect(seqs(mergeNewestFirst(shown, [event(4), event(5), event(6)]))).toEqual([6, 5, 4, 3]);
  });

  it('orders events that arrive before the first read by seq', () => {
    expect(seqs(mergeNewestFirst([event(7)], [event(9), event(8), event(6)]))).toEqual([9, 8, 7, 6]);
  });

  it('keeps only the newest rows', () => {
    expect(seqs(mergeNewestFirst([event(2), event(1)], [event(3)], 2))).toEqual([3, 2]);
    expect(seqs(mergeNewestFirst([event(2), event(1)], [event(4), event(3)], 3))).toEqual([4, 3, 2]);
  });

  it('previews a payload as JSON text, shortened', () => {
    expect(payloadPreview({ html: '<img src=x onerror=alert(1)>' })).toBe('{"html":"<img src=x onerror=alert(1)>"}');
    expect(payloadPreview({ long: 'x'.repeat(500) }, 20)).toBe('{"long":"xxxxxxxxxxx…');
  });
});
