/**
 * The hot API v1 routes (issue 15): publishing an event, starting a run, and an SDK agent's task traffic
 * (its push stream, claim, heartbeat, result, error). scripts/serve.ts answers these itself, straight from
 * its node:http server to the handlers, without Next.js routing in between (a quarter of a request's CPU).
 * They are the very handlers the route files under app/api/v1 export, so parsing, authentication, the error
 * mapping and the OpenAPI document are one; Next.js still serves the same paths when it is asked directly
 * (`next start`, tests of the route files), and every other path. Each POST here is a reply handler
 * (errors.ts): the same code as the route file's handler, given an ApiRequest over the node request and
 * answering a JsonReply the adapter writes as it is, where the route file wraps it in Request and Response.
 */
import { matchRoute, type Route } from './nodeAdapter';
import type { ServicesGetter } from './services';
import { agentTasksApi } from './v1/agentTasks';
import { eventsApi } from './v1/events';
import { runsApi } from './v1/runs';

const ID = '[^/]+';

export function hotRoutes(services: ServicesGetter): Route[] {
  const events = eventsApi(services);
  const runs = runsApi(services);
  const tasks = agentTasksApi(services);
  const at = (pattern: string) => new RegExp(`^/api/v1${pattern}$`);
  return [
    { method: 'POST', path: '/api/v1/events', reply: events.replies.post },
    { method: 'POST', path: at(`/workflows/(?<workflowId>${ID})/runs`), reply: runs.replies.start },
    { method: 'GET', path: '/api/v1/agent/tasks/stream', handler: tasks.stream },
    { method: 'POST', path: at(`/agent/tasks/(?<id>${ID})/claim`), reply: tasks.replies.claim },
    { method: 'POST', path: at(`/agent/tasks/(?<id>${ID})/heartbeat`), reply: tasks.replies.heartbeat },
    { method: 'POST', path: at(`/agent/tasks/(?<id>${ID})/result`), reply: tasks.replies.result },
    { method: 'POST', path: at(`/agent/tasks/(?<id>${ID})/error`), reply: tasks.replies.error },
  ];
}

/** The hot route for a request, if it is one: every hot path starts with this prefix. */
export function hotRouteFor(routes: readonly Route[], method: string | undefined, pathname: string) {
  return pathname.startsWith('/api/v1/') ? matchRoute(routes, method, pathname) : undefined;
}
