/**
 * `/api/mcp`: Spine as an MCP server over Streamable HTTP (the SDK's web-standard transport, stateless:
 * one server and transport per request, JSON answers, no session). A request must carry
 * `Authorization: Bearer <api key>` (the keys of API v1; a session cookie is not enough, so no other site
 * can drive MCP through a signed-in browser): without a valid one it gets 401 before any MCP message is
 * read. What each tool may then do is the key's roles and scopes, checked by the API v1 handler the tool
 * calls (server.ts).
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { UnauthenticatedError } from '@/server/errors';
import { json, runtimeServices, withErrorHandling, type ServicesGetter } from '@/server/http';
import { createSpineMcpServer } from './server';

/** An MCP message batch is small; a publish_event payload is bounded again by the events handler. */
const MAX_BODY_BYTES = 1024 * 1024;

export function mcpApi(services: ServicesGetter = runtimeServices) {
  const handle = withErrorHandling(async (req: Request) => {
    const svc = await services();
    if (svc.auth) {
      const header = req.headers.get('authorization') ?? '';
      if (!/^bearer\s+\S/i.test(header)) throw new UnauthenticatedError('auth.required', 'Send Authorization: Bearer <api key>');
      if (!(await svc.auth.authenticate(req))) throw new UnauthenticatedError('auth.invalid_key', 'The API key is not valid (unknown or revoked)');
    }
    // Stateless: no session to resume or stream to, so only POST carries messages.
    if (req.method !== 'POST')
      return json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP endpoint is stateless, send messages with POST' }, id: null }, 405, { allow: 'POST' });
    const server = createSpineMcpServer(services, req);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: MAX_BODY_BYTES });
    await server.connect(transport);
    try {
      return await transport.handleRequest(req);
    } finally {
      // JSON answers are complete when handleRequest resolves: nothing is left to send.
      await server.close();
    }
  });
  return { handle };
}
