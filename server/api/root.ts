/**
 * The tRPC app router: one sub-router per resource, each in server/api/routers/<resource>.ts.
 */
import { eventsRouter } from './routers/events';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  events: eventsRouter,
});
export type AppRouter = typeof appRouter;

/** Server-side caller for tests and scripts: `createCaller(createContextInner({ actor, services }))`. */
export const createCaller = createCallerFactory(appRouter);
