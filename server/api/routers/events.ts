/**
 * Events over tRPC: the timeline's snapshot, windows and jump-to-seq, an event's detail (causes, effects,
 * integrity), the newest events for a first paint, and a live tail that resumes from a cursor. All of it
 * reads the spine; the spine owns ordering and the no-gap guarantee.
 */
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { EventFilter } from '@/server/spine/events';
import { observability, TimelineFilter } from '@/server/observability';
import { auditOf, authedProcedure, router } from '../trpc';

export const LatestEventsInput = EventFilter.extend({
  /** How many of the newest events. @default 50 */
  limit: z.number().int().min(1).max(500).default(50),
}).strict();
export type LatestEventsInput = z.input<typeof LatestEventsInput>;

export const LiveEventsInput = TimelineFilter.extend({
  /**
   * Resume cursor: deliver events with seq greater than this. httpSubscriptionLink sets it to the last
   * tracked id when it reconnects. Without it only events committed from now on are delivered.
   */
  lastEventId: z.string().regex(/^\d{1,15}$/, 'lastEventId is an event seq').nullish(),
}).strict();
export type LiveEventsInput = z.input<typeof LiveEventsInput>;

const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const SnapshotInput = z.object({ filter: TimelineFilter, /** @default 0 */ firstLimit: z.number().int().min(0).max(500).default(0) }).strict();
export const WindowInput = z.object({ filter: TimelineFilter, topSeq: Seq, offset: Seq, limit: z.number().int().min(1).max(500) }).strict();
export const LocateInput = z.object({ filter: TimelineFilter, topSeq: Seq, seq: Seq }).strict();
export const SeqInput = z.object({ seq: Seq.min(1) }).strict();

export const eventsRouter = router({
  /** Newest first. */
  latest: authedProcedure
    .input(LatestEventsInput)
    .query(({ ctx, input: { limit, ...filter } }) => ctx.spine.read({ after: 0, limit, filter, descending: true })),

  /** The head a timeline view is anchored at, how many events match up to it, and its first rows. */
  snapshot: authedProcedure.input(SnapshotInput).query(({ ctx, input }) => observability(ctx).timelineSnapshot(input.filter, input.firstLimit)),

  /** Rows `offset…offset+limit−1` of a snapshot, newest first. */
  window: authedProcedure.input(WindowInput).query(({ ctx, input }) => observability(ctx).timelineWindow(input.filter, input.topSeq, input.offset, input.limit)),

  /** Where a seq sits in a snapshot (for jump to seq). */
  locate: authedProcedure.input(LocateInput).query(({ ctx, input }) => observability(ctx).timelineLocate(input.filter, input.topSeq, input.seq)),

  /** One event with its causes and effects. */
  detail: authedProcedure.input(SeqInput).query(({ ctx, input }) => observability(ctx).eventDetail(input.seq)),

  /** Whether the event's stored hash matches its content and links to the row before it. */
  integrity: authedProcedure.input(SeqInput).query(({ ctx, input }) => auditOf(ctx).checkEvent(input.seq)),

  /** Matching events after `lastEventId` in seq order, then live, each tracked by its seq. */
  live: authedProcedure.input(LiveEventsInput).subscription(async function* ({ ctx, input, signal }) {
    const { lastEventId, ...filter } = input;
    const after = lastEventId == null ? undefined : Number(lastEventId);
    // Input is parsed: that was the last fallible check. From here on the stream only yields.
    // spine.subscribe registers for commit wake-ups before it reads the backlog after `after`, so an
    // event committed while the backlog is read is buffered, not lost.
    let lastSent = after ?? 0;
    for await (const e of observability(ctx).timelineLive(filter, after, signal)) {
      if (e.seq <= lastSent) continue;
      lastSent = e.seq;
      yield tracked(String(e.seq), e);
    }
  }),
});
