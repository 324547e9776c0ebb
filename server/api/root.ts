/**
 * The tRPC app router: one sub-router per resource, each in server/api/routers/<resource>.ts.
 */
import { agentsRouter } from './routers/agents';
import { eventsRouter } from './routers/events';
import { workflowsRouter } from './routers/workflows';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  events: eventsRouter,
  workflows: workflowsRouter,
  agents: agentsRouter,
});
export type AppRouter = typeof appRouter;

/** Server-side caller for tests and scripts: `createCaller(createContextInner({ actor, services }))`. */
export const createCaller = createCallerFactory(appRouter);
