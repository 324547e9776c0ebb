/**
 * The tRPC app router: one sub-router per resource, each in server/api/routers/<resource>.ts.
 */
import { adminRouter } from './routers/admin';
import { agentKeysRouter } from './routers/agentKeys';
import { agentsRouter } from './routers/agents';
import { approvalsRouter } from './routers/approvals';
import { auditRouter } from './routers/audit';
import { eventsRouter } from './routers/events';
import { evaluationsRouter } from './routers/evaluations';
import { metricsRouter } from './routers/metrics';
import { runsRouter } from './routers/runs';
import { schemasRouter } from './routers/schemas';
import { sessionRouter } from './routers/session';
import { workflowsRouter } from './routers/workflows';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  events: eventsRouter,
  runs: runsRouter,
  metrics: metricsRouter,
  audit: auditRouter,
  workflows: workflowsRouter,
  agents: agentsRouter,
  schemas: schemasRouter,
  agentKeys: agentKeysRouter,
  session: sessionRouter,
  approvals: approvalsRouter,
  admin: adminRouter,
  evaluations: evaluationsRouter,
});
export type AppRouter = typeof appRouter;

/** Server-side caller for tests and scripts: `createCaller(createContextInner({ actor, services }))`. */
export const createCaller = createCallerFactory(appRouter);
