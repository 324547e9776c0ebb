/**
 * Events over tRPC: the newest events for a first paint, and a live tail that resumes from a cursor.
 * Both read the spine and nothing else; the spine owns ordering and the no-gap guarantee.
 */
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { EventFilter } from '@/server/spine/events';
import { publicProcedure, router } from '../trpc';

export const LatestEventsInput = EventFilter.extend({
  /** How many of the newest events. @default 50 */
  limit: z.number().int().min(1).max(500).default(50),
}).strict();
export type LatestEventsInput = z.input<typeof LatestEventsInput>;

export const LiveEventsInput = EventFilter.extend({
  /**
   * Resume cursor: deliver events with seq greater than this. httpSubscriptionLink sets it to the last
   * tracked id when it reconnects. Without it only events committed from now on are delivered.
   */
  lastEventId: z.string().regex(/^\d{1,15}$/, 'lastEventId is an event seq').nullish(),
}).strict();
export type LiveEventsInput = z.input<typeof LiveEventsInput>;

export const eventsRouter = router({
  /** Newest first. */
  latest: publicProcedure
    .input(LatestEventsInput)
    .query(({ ctx, input: { limit, ...filter } }) => ctx.spine.read({ after: 0, limit, filter, descending: true })),

  /** Matching events after `lastEventId` in seq order, then live, each tracked by its seq. */
  live: publicProcedure.input(LiveEventsInput).subscription(async function* ({ ctx, input, signal }) {
    const { lastEventId, ...filter } = input;
    const after = lastEventId == null ? undefined : Number(lastEventId);
    // Input is parsed: that was the last fallible check. From here on the stream only yields.
    // spine.subscribe registers for commit wake-ups before it reads the backlog after `after`, so an
    // event committed while the backlog is read is buffered, not lost.
    let lastSent = after ?? 0;
    for await (const e of ctx.spine.subscribe({ ...filter, after, signal })) {
      if (e.seq <= lastSent) continue;
      lastSent = e.seq;
      yield tracked(String(e.seq), e);
    }
  }),
});
