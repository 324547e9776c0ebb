/**
 * MCP against the built app: the SDK's own client connects to `/api/mcp` with an API key (401 without),
 * lists the eight tools and calls two; and an architect gives an openai agent an MCP server in the
 * registry's form, whose Authorization header comes back redacted, never on the page.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { apiHeaders, signedInAs } from './fixtures';

test('an MCP client drives Spine at /api/mcp with an API key; without one it gets 401', async ({ baseURL }) => {
  const url = new URL('/api/mcp', baseURL);
  // Plain fetch: the `request` fixture carries the run's admin key.
  const anonymous = await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
  expect(anonymous.status).toBe(401);

  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: apiHeaders() } }));
  try {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['decide_approval', 'get_reasoning_path', 'get_run', 'list_approvals', 'list_runs', 'publish_event', 'start_run', 'verify_audit']);
    const published = await client.callTool({ name: 'publish_event', arguments: { type: 'e2e.mcp_checked', payload: { by: 'mcp' } } });
    expect(published.isError).toBeFalsy();
    expect(published.structuredContent).toMatchObject({ seq: expect.any(Number) });
    const verdict = await client.callTool({ name: 'verify_audit', arguments: {} });
    expect(verdict.structuredContent).toMatchObject({ ok: true });
  } finally {
    await client.close();
  }
});

test('an architect gives an LLM agent an MCP server; its Authorization header is stored sealed and shown redacted', async ({ browser }) => {
  const name = `llm-mcp-${randomBytes(3).toString('hex')}`;
  const secret = `Bearer mcp_${randomBytes(8).toString('hex')}`;
  const page = await signedInAs(browser, ['architect'], '/agents');
  await page.getByTestId('add-agent').click();
  const form = page.getByTestId('add-agent-dialog');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Kind').selectOption('openai');
  await form.getByLabel('Base URL').fill('http://127.0.0.1:9/v1');
  await form.getByLabel('Model').fill('m');
  const servers = form.getByLabel('MCP servers (JSON list)');
  await servers.fill('{"name":"cases"}');
  await form.getByTestId('agent-submit').click();
  await expect(form).toContainText('a JSON list');
  await servers.fill(JSON.stringify([{ name: 'cases', url: 'https://tools.example/mcp', headers: { Authorization: secret } }]));
  await form.getByTestId('agent-submit').click();
  await expect(page.getByTestId('toast').filter({ hasText: `Registered ${name}` })).toBeVisible();

  await page.getByTestId(`agent-row-${name}`).getByRole('button', { name }).click();
  await page.getByTestId('agent-detail').getByTestId('edit-agent').click();
  const edit = page.getByTestId('agent-detail').getByLabel('MCP servers (JSON list)');
  await expect(edit).toHaveValue(/"Authorization": "••••••"/);
  await expect(edit).toHaveValue(/https:\/\/tools\.example\/mcp/);
  expect(await page.content()).not.toContain(secret.slice(7));
});
