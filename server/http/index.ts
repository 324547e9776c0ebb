/**
 * API v1 (`/api/v1`, OpenAPI) and the auth endpoints as fetch handlers the route files mount, and the
 * connection's peer header `scripts/serve.ts` sets. Callers import from `@/server/http`.
 */
export { agentsApi } from './v1/agents';
export { agentKeysApi } from './v1/agentKeys';
export { agentTasksApi } from './v1/agentTasks';
export { approvalsApi } from './v1/approvals';
export { auditApi } from './v1/audit';
export { auditExportApi } from './v1/auditExport';
export { consumersApi } from './v1/consumers';
export { eventsApi } from './v1/events';
export { evaluationsApi } from './v1/evaluations';
export { runsApi } from './v1/runs';
export { schemasApi } from './v1/schemas';
export { reasoningPathApi } from './v1/reasoningPath';
export { sessionApi } from './v1/session';
export { workflowsApi } from './v1/workflows';
export { a2aApi } from './a2a';
export { openApiHandler, openApiDocument, type OperationAccess } from './openapi';
export { clientAddress, PEER_HEADER } from './clientAddress';
export { runtimeServices, type ServicesGetter, type HttpServices } from './services';
export { json, toHttpError, withErrorHandling } from './errors';
export { hotRouteFor, hotRoutes } from './hotRoutes';
export { pathOf, serveFetch } from './nodeAdapter';
export { securityHeaders } from './securityHeaders';
