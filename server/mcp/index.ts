/**
 * Spine as an MCP server (`/api/mcp`): the tools (each an API v1 operation, same access), the workflow and
 * run resources, and the Streamable HTTP handler the route file mounts. Callers import `@/server/mcp`.
 *
 * @example
 * // app/api/mcp/route.ts
 * const api = mcpApi();
 * export const POST = api.handle;
 */
export { mcpApi } from './handler';
export { createSpineMcpServer } from './server';
export { MCP_TOOLS, MCP_TOOL_NAMES, type McpTool, type McpToolName, type Operation } from './tools';
