/**
 * The `/api/v1` route table for the node:http adapter: the same handlers Next.js serves from app/api/v1,
 * mounted on a plain server so integration tests and the crash-test server run the real API without a build.
 */
import type { AddressInfo } from 'node:net';
import { hotRoutes } from '@/server/http/hotRoutes';
import { createNodeServer, type Route } from '@/server/http/nodeAdapter';
import type { ServicesGetter } from '@/server/http/services';
import { agentsApi } from '@/server/http/v1/agents';
import { agentKeysApi } from '@/server/http/v1/agentKeys';
import { approvalsApi } from '@/server/http/v1/approvals';
import { auditApi } from '@/server/http/v1/audit';
import { consumersApi } from '@/server/http/v1/consumers';
import { eventsApi } from '@/server/http/v1/events';
import { runsApi } from '@/server/http/v1/runs';
import { schemasApi } from '@/server/http/v1/schemas';
import { reasoningPathApi } from '@/server/http/v1/reasoningPath';
import { workflowsApi } from '@/server/http/v1/workflows';
import { evaluationsApi } from '@/server/http/v1/evaluations';
import { a2aApi } from '@/server/http/a2a';

const SEG = '[^/]+';

/** A2A: Spine's card, each exposed workflow's card and JSON-RPC endpoint (app/.well-known rewrite, app/api/a2a). */
export function a2aRoutes(services: ServicesGetter): Route[] {
  const a2a = a2aApi(services);
  return [
    { method: 'GET', path: '/.well-known/agent-card.json', handler: a2a.spineCard },
    { method: 'POST', path: '/api/a2a', handler: a2a.rootRpc },
    { method: 'GET', path: new RegExp(`^/api/a2a/(?<workflowId>${SEG})/agent-card\\.json$`), handler: a2a.workflowCard },
    { method: 'POST', path: new RegExp(`^/api/a2a/(?<workflowId>${SEG})$`), handler: a2a.rpc },
  ];
}

/** Evaluations of a candidate agent version (server/http/v1/evaluations.ts). */
function evaluationRoutes(services: ServicesGetter): Route[] {
  const ev = evaluationsApi(services);
  const at = (p: string) => new RegExp(`^/api/v1${p}$`);
  return [
    { method: 'POST', path: at(`/workflows/(?<workflowId>${SEG})/evaluations`), handler: ev.start },
    { method: 'GET', path: at(`/workflows/(?<workflowId>${SEG})/evaluations`), handler: ev.list },
    { method: 'GET', path: at(`/evaluations/(?<evaluationId>${SEG})`), handler: ev.get },
    { method: 'POST', path: at(`/evaluations/(?<evaluationId>${SEG})/ship`), handler: ev.ship },
    { method: 'POST', path: at(`/evaluations/(?<evaluationId>${SEG})/rollback`), handler: ev.rollBack },
  ];
}

export function v1Routes(services: ServicesGetter): Route[] {
  const events = eventsApi(services);
  const runs = runsApi(services);
  const workflows = workflowsApi(services);
  const approvals = approvalsApi(services);
  const agents = agentsApi(services);
  const at = (pattern: string) => new RegExp(`^/api/v1${pattern}$`);
  return [
    // Publish, start run and the SDK agents' task API, as scripts/serve.ts serves them.
    ...hotRoutes(services),
    { method: 'POST', path: at(`/agents/(?<name>${SEG})/keys`), handler: agentKeysApi(services).create },
    { method: 'GET', path: at(`/consumers/(?<name>${SEG})/stream`), handler: consumersApi(services).stream },
    { method: 'POST', path: at(`/consumers/(?<name>${SEG})/commit`), handler: consumersApi(services).commit },
    { method: 'GET', path: '/api/v1/schemas', handler: schemasApi(services).list },
    { method: 'GET', path: at(`/schemas/(?<type>${SEG})`), handler: schemasApi(services).get },
    { method: 'PUT', path: at(`/schemas/(?<type>${SEG})`), handler: schemasApi(services).put },
    { method: 'GET', path: '/api/v1/events', handler: events.list },
    { method: 'GET', path: '/api/v1/events/stream', handler: events.stream },
    { method: 'GET', path: '/api/v1/audit/verify', handler: auditApi(services).verify },
    { method: 'GET', path: '/api/v1/workflows', handler: workflows.list },
    { method: 'POST', path: '/api/v1/workflows', handler: workflows.create },
    { method: 'GET', path: at(`/workflows/(?<workflowId>${SEG})/draft`), handler: workflows.draft },
    { method: 'PUT', path: at(`/workflows/(?<workflowId>${SEG})/draft`), handler: workflows.saveDraft },
    { method: 'POST', path: at(`/workflows/(?<workflowId>${SEG})/publish`), handler: workflows.publish },
    { method: 'POST', path: at(`/workflows/(?<workflowId>${SEG})/archive`), handler: workflows.archive },
    { method: 'POST', path: at(`/workflows/(?<workflowId>${SEG})/restore`), handler: workflows.restore },
    { method: 'POST', path: at(`/workflows/(?<workflowId>${SEG})/a2a`), handler: workflows.setA2a },
    ...evaluationRoutes(services),
    ...a2aRoutes(services),
    { method: 'GET', path: at(`/workflows/(?<workflowId>${SEG})`), handler: workflows.get },
    { method: 'GET', path: '/api/v1/runs', handler: runs.list },
    { method: 'GET', path: at(`/runs/(?<runId>${SEG})`), handler: runs.get },
    { method: 'GET', path: at(`/runs/(?<runId>${SEG})/events`), handler: runs.events },
    { method: 'GET', path: at(`/runs/(?<runId>${SEG})/envelope`), handler: runs.envelope },
    { method: 'GET', path: at(`/runs/(?<runId>${SEG})/replay`), handler: runs.replay },
    { method: 'POST', path: at(`/runs/(?<runId>${SEG})/fork`), handler: runs.fork },
    { method: 'GET', path: at(`/runs/(?<runId>${SEG})/compare/(?<otherId>${SEG})`), handler: runs.compare },
    { method: 'GET', path: at(`/runs/(?<runId>${SEG})/path/(?<eventId>${SEG})`), handler: reasoningPathApi(services).get },
    { method: 'POST', path: at(`/runs/(?<runId>${SEG})/cancel`), handler: runs.cancel },
    { method: 'POST', path: at(`/runs/(?<runId>${SEG})/context`), handler: runs.context },
    { method: 'POST', path: at(`/runs/(?<runId>${SEG})/nodes/(?<nodeId>${SEG})/retry`), handler: runs.retryNode },
    { method: 'GET', path: '/api/v1/approvals', handler: approvals.list },
    { method: 'POST', path: at(`/approvals/(?<approvalId>${SEG})/decision`), handler: approvals.decide },
    { method: 'GET', path: '/api/v1/agents', handler: agents.list },
    { method: 'POST', path: '/api/v1/agents', handler: agents.create },
    { method: 'GET', path: at(`/agents/(?<name>${SEG})`), handler: agents.get },
    { method: 'PATCH', path: at(`/agents/(?<name>${SEG})`), handler: agents.patch },
    { method: 'DELETE', path: at(`/agents/(?<name>${SEG})`), handler: agents.remove },
    { method: 'GET', path: at(`/agents/(?<name>${SEG})/versions`), handler: agents.versions },
  ];
}

/** Serves the route table on 127.0.0.1 (an ephemeral port) for a test; `close` ends every connection. */
export async function serveV1(services: ServicesGetter): Promise<{ origin: string; close(): void }> {
  const server = createNodeServer(v1Routes(services));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
