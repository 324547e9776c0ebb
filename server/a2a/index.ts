/**
 * A2A (Agent2Agent) served by Spine: exposed workflows as A2A agents (cards.ts), their tasks as runs
 * (server.ts), and the JSON-RPC HTTP binding (jsonRpcHttp.ts). The client side, Spine calling remote A2A
 * agents, is the `a2a` agent kind (server/agents/a2a). Callers import from `@/server/a2a`.
 *
 * @example
 * const handler = a2aHandlerOf(engine, spine);
 * return serveA2aJsonRpc(handler, req, new SpineCallContext(actor, workflow, () => engine.workflows.a2aExposed()));
 */
export { workflowCard, spineCard, skillOf, workflowEndpointPath, A2A_PROTOCOL_VERSION, SPINE_API_KEY_SCHEME } from './cards';
export { a2aHandlerOf, inputOf, SpineA2aRequestHandler, SpineCallContext, SpineA2aUser } from './server';
export { serveA2aJsonRpc, MAX_A2A_BODY_BYTES } from './jsonRpcHttp';
