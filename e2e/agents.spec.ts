/**
 * The agent registry in Chromium: an architect adds an HTTP agent from /agents (a refused output schema is
 * shown under its field first), pointing at a small webhook this test serves on 127.0.0.1; draws it into a
 * new workflow in the designer, where the picker shows its output fields; publishes, runs, sees the run
 * complete with the agent's version on the node, and sees the agent online with its success rate (on
 * /agents and in the overview); edits it (version 2) and removes it. The signing secret is never on a page.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { signedInAs } from './fixtures';

test.use({ viewport: { width: 1600, height: 1000 } });

const SECRET = `whsec_e2e_${randomBytes(12).toString('hex')}`;
let hook: Server;
let hookUrl: string;
const received: { headers: IncomingHttpHeaders; body: { input?: unknown } }[] = [];

test.beforeAll(async () => {
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { input?: unknown } });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ risk: 'low', score: 0.2 }));
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/triage`;
});
test.afterAll(async () => {
  hook.closeAllConnections();
  await new Promise((r) => hook.close(r));
});

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
const nodes = (page: Page) => page.locator('.react-flow__node');
const edges = (page: Page) => page.locator('.react-flow__edge');
const pane = (page: Page) => page.locator('.react-flow__pane');

async function drop(page: Page, kind: string, x: number, y: number) {
  const before = await nodes(page).count();
  await page.getByTestId(`palette-${kind}`).dragTo(pane(page), { targetPosition: { x, y } });
  await expect(nodes(page)).toHaveCount(before + 1);
}

async function centre(l: Locator) {
  const b = (await l.boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

async function connect(page: Page, from: string, to: string) {
  const before = await edges(page).count();
  const a = await centre(node(page, from).locator('.react-flow__handle.source[data-handleid="default"]'));
  const b = await centre(node(page, to).locator('.react-flow__handle.target'));
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 4 });
  await page.mouse.move(b.x, b.y, { steps: 4 });
  await page.mouse.up();
  await expect(edges(page)).toHaveCount(before + 1);
}

test('an architect registers an HTTP agent, draws it into a workflow, runs it and sees it healthy', async ({ browser }) => {
  test.setTimeout(120_000);
  const name = `triage-${randomBytes(3).toString('hex')}`;
  const page = await signedInAs(browser, ['architect', 'operator'], '/agents');

  // Add the agent; a schema that is not JSON Schema is refused under its field, and nothing is registered.
  await page.getByTestId('add-agent').click();
  const form = page.getByTestId('add-agent-dialog');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Kind').selectOption('http');
  await form.getByLabel('Description').fill('Triage of incoming cases');
  await form.getByLabel('Capabilities').fill('legal, triage');
  await form.getByLabel('Webhook URL').fill(hookUrl);
  await form.getByLabel('Signing secret').fill(SECRET);
  await form.getByLabel('Output schema (JSON Schema)').fill('{ "type": "objekt" }');
  await form.getByTestId('agent-submit').click();
  await expect(form.getByTestId('field-error')).toContainText('not a valid JSON Schema');
  await expect(page.getByTestId(`agent-row-${name}`)).toHaveCount(0);
  await form.getByLabel('Output schema (JSON Schema)').fill('{ "type": "object", "properties": { "risk": { "type": "string" }, "score": { "type": "number" } } }');
  await form.getByTestId('agent-submit').click();
  await expect(page.getByTestId('toast').filter({ hasText: `Registered ${name}` })).toBeVisible();
  const row = page.getByTestId(`agent-row-${name}`);
  await expect(row).toContainText('v1');
  await expect(row).toContainText('→ risk, score');
  await expect(page.getByTestId(`agent-health-${name}`)).toHaveAttribute('data-status', 'offline');
  // The detail shows the secret redacted.
  await row.getByRole('button', { name }).click();
  await expect(page.getByTestId('agent-detail')).toContainText('••••••');
  await page.keyboard.press('Escape');

  // Draw trigger → agent → end in a new workflow and pick the agent: the picker shows its output fields.
  await page.goto('/workflows');
  await page.getByTestId('new-workflow').click();
  await page.getByTestId('new-workflow-dialog').getByTestId('new-workflow-name').fill(`Triage ${name}`);
  await page.getByTestId('new-workflow-dialog').getByTestId('create-workflow').click();
  await expect(page).toHaveURL(/\/workflows\/[0-9a-f-]{36}$/);
  await drop(page, 'trigger', 120, 300);
  await drop(page, 'agent', 420, 300);
  await drop(page, 'end', 720, 300);
  await connect(page, 'trigger-1', 'agent-1');
  await connect(page, 'agent-1', 'end-1');
  await node(page, 'agent-1').click();
  await page.getByTestId('agent-picker').selectOption(name);
  await expect(page.getByTestId('agent-summary-name')).toHaveText(name);
  await expect(page.getByTestId('agent-output-field')).toHaveText([/^risk/, /^score/]);
  await expect(page.getByTestId('agent-output-fields')).toContainText('results["agent-1"].<field>');
  await expect(page.getByTestId('problems')).toHaveAttribute('data-errors', '0');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved');

  // Publish, run, and watch it complete.
  await page.getByTestId('open-publish').click();
  await page.getByTestId('publish-confirm').click();
  await expect(page.getByTestId('toast').filter({ hasText: 'Published version 1' })).toBeVisible();
  await page.getByTestId('open-run').click();
  await page.getByTestId('run-input').fill('{ "facts": "A contract dispute" }');
  await page.getByTestId('run-start').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });
  await expect(page.locator('[data-testid="node-row"][data-node-id="agent-1"]').getByTestId('node-agent')).toHaveText(`${name} v1`);

  // The webhook got the task, signed with the secret (Standard Webhooks headers).
  expect(received).toHaveLength(1);
  expect(received[0]!.body.input).toEqual({ facts: 'A contract dispute' });
  expect(received[0]!.headers['webhook-signature']).toMatch(/^v1,/);

  // The registry shows the agent online, all of its tasks succeeded; the secret is on no page.
  await page.goto('/agents');
  await expect(page.getByTestId(`agent-health-${name}`)).toHaveAttribute('data-status', 'online');
  await expect(page.getByTestId(`agent-success-${name}`)).toHaveText('100 %');
  expect(await page.content()).not.toContain(SECRET);

  // The overview's agents table shows its health and tasks in flight too.
  await page.goto('/');
  await expect(page.getByTestId('agent-table').getByTestId(`agent-health-${name}`)).toHaveAttribute('data-status', 'online');
  await page.goto('/agents');

  // Edit: a new limit makes version 2 (the secret, sent back as the marker, is kept); then remove it.
  await page.getByTestId(`agent-row-${name}`).getByRole('button', { name }).click();
  const detail = page.getByTestId('agent-detail');
  await detail.getByTestId('edit-agent').click();
  await expect(detail.getByLabel('Signing secret')).toHaveValue('••••••');
  await detail.getByLabel('Timeout (ms)').fill('abc');
  await detail.getByTestId('agent-submit').click();
  await expect(detail.getByTestId('field-error')).toHaveText('a number');
  await detail.getByLabel('Timeout (ms)').fill('5000');
  await detail.getByTestId('agent-submit').click();
  await expect(page.getByTestId('toast').filter({ hasText: `Saved ${name} (version 2)` })).toBeVisible();
  await expect(detail.getByTestId('agent-version')).toHaveText('2');
  await expect(detail.getByTestId('agent-versions').locator('li')).toHaveCount(2);
  page.once('dialog', (d) => void d.accept());
  await detail.getByTestId('remove-agent').click();
  await expect(page.getByTestId('toast').filter({ hasText: `Removed ${name}` })).toBeVisible();
  await expect(page.getByTestId(`agent-row-${name}`)).toHaveCount(0);
  await page.getByLabel('Show removed').check();
  await expect(page.getByTestId(`agent-row-${name}`)).toContainText('removed');
});

test('an architect registers an sdk agent and makes it a key: shown once, listed, revoked', async ({ browser, request }) => {
  const name = `sdk-${randomBytes(3).toString('hex')}`;
  const page = await signedInAs(browser, ['architect'], '/agents');
  await page.getByTestId('add-agent').click();
  const form = page.getByTestId('add-agent-dialog');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Kind').selectOption('sdk');
  await form.getByLabel('Description').fill('Served by an outside process');
  await form.getByTestId('agent-submit').click();
  await expect(page.getByTestId('toast').filter({ hasText: `Registered ${name}` })).toBeVisible();

  await page.getByTestId(`agent-row-${name}`).getByRole('button', { name }).click();
  const keys = page.getByTestId('agent-detail').getByTestId('agent-keys');
  await expect(keys).toContainText('No keys yet');
  await keys.getByLabel('Label').fill('prod');
  await keys.getByLabel('Declares it publishes').fill('case.note');
  await keys.getByRole('button', { name: 'Create agent key' }).click();
  const secret = (await keys.getByTestId('new-key-value').textContent())!.trim();
  expect(secret).toMatch(/^spk_/);
  await expect(keys.getByTestId('agent-key-row')).toHaveCount(1);

  // The key is the agent's: it may publish what it declared, nothing else.
  const auth = { authorization: `Bearer ${secret}` };
  expect((await request.post('/api/v1/events', { data: { type: 'case.note', payload: {} }, headers: auth })).status()).toBe(201);
  expect((await request.post('/api/v1/events', { data: { type: 'case.opened', payload: {} }, headers: auth })).status()).toBe(403);

  await keys.getByTestId('agent-key-row').getByRole('button', { name: 'Revoke' }).click();
  await keys.getByTestId('agent-key-row').getByRole('button', { name: 'Confirm revoke' }).click();
  await expect(keys.getByTestId('agent-key-row')).toHaveAttribute('data-state', 'revoked');
  expect((await request.post('/api/v1/events', { data: { type: 'case.note', payload: {} }, headers: auth })).status()).toBe(401);
});
