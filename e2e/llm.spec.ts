/**
 * LLM agents in the browser: the legal case with LLM specialists (its agents on a fake OpenAI-compatible
 * server this spec starts on the loopback port playwright.config.ts gives the app) runs, and a person sees
 * its tokens and cost on the run page and the specialists' tokens in the overview's agents table; and an
 * architect adds an LLM agent of their own from /agents, runs it, and sees its tokens, cost and health.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { startFakeOpenAi, type FakeOpenAi } from '../server/testing/fakeOpenAi';
import { createNode } from '../server/workflows/schema';
import { apiHeaders, signedInAs } from './fixtures';

const LLM_PORT = Number(process.env.SPINE_E2E_LLM_PORT ?? 3108);
let fake: FakeOpenAi | undefined;

test.beforeAll(async () => {
  fake = await startFakeOpenAi((req) => {
    const system = req.body.messages[0]?.content ?? '';
    if (system.includes('senior partner')) return { content: JSON.stringify({ risk: 'low', summary: 'A minor dispute; no material exposure.' }) };
    return { content: JSON.stringify({ level: 'low', note: 'nothing notable' }) };
  }, { port: LLM_PORT });
});
test.afterAll(async () => {
  await fake?.close();
});

test('an LLM run shows its tokens on the run page, and the overview sums them per agent', async ({ page, request }) => {
  test.setTimeout(60_000);
  const res = await request.post('/api/v1/workflows/legal-case-llm/runs', { data: { input: { facts: 'A minor contract dispute' }, intent: 'Assess the dispute' } });
  expect(res.status(), await res.text()).toBe(202);
  const { runId } = (await res.json()) as { runId: string };

  await page.goto(`/runs/${runId}`);
  await expect(page.locator('[data-testid="node-row"][data-node-id="summarizer"]')).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
  const tokens = page.getByTestId('run-tokens');
  await expect(tokens).toBeVisible();
  await expect(tokens).toHaveText(/^[1-9][\d,.k]* \/ [1-9][\d,.k]*$/);
  expect(fake!.requests.filter((r) => r.body.model === 'e2e-fake-model').length).toBeGreaterThanOrEqual(6);

  await page.goto('/');
  const row = page.getByTestId('agent-table').locator('tr', { hasText: 'llm-summarizer' });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row.getByTestId('agent-tokens-in')).toHaveText(/^[1-9]/);
  await expect(row.getByTestId('agent-tokens-out')).toHaveText(/^[1-9]/);
});

test('an architect adds an LLM agent from the browser, runs it in a workflow, and sees its tokens, cost and health', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const name = `llm-triage-${randomBytes(3).toString('hex')}`;
  const page = await signedInAs(browser, ['architect', 'operator'], '/agents');

  // Register it: the openai kind's own fields, a JSON output with a schema, a price.
  await page.getByTestId('add-agent').click();
  const form = page.getByTestId('add-agent-dialog');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Kind').selectOption('openai');
  await form.getByLabel('Description').fill('Triage by a language model');
  await form.getByLabel('Base URL').fill(`http://127.0.0.1:${LLM_PORT}/v1`);
  await form.getByLabel('Model').fill('e2e-fake-model');
  await form.getByLabel('API key').fill('sk-e2e-never-shown');
  await form.getByLabel('System prompt').fill('You triage legal cases. Answer with a risk level.');
  await form.getByLabel('User prompt template').fill('Facts: {{input.facts}}. Intent: {{intent}}');
  await form.getByLabel('Output', { exact: true }).selectOption('json');
  await form.getByLabel('Price per 1M input tokens').fill('2');
  await form.getByLabel('Price per 1M output tokens').fill('8');
  await form.getByLabel('Output schema (JSON Schema)').fill('{ "type": "object", "required": ["level"], "properties": { "level": { "type": "string" } } }');
  await form.getByTestId('agent-submit').click();
  await expect(page.getByTestId('toast').filter({ hasText: `Registered ${name}` })).toBeVisible();
  await expect(page.getByTestId(`agent-row-${name}`)).toContainText('→ level');

  // A workflow that calls it, published and started from the browser.
  const doc = {
    formatVersion: 1,
    nodes: [createNode('trigger', 'start'), { ...createNode('agent', 'triage'), config: { ...createNode('agent', 'x').config, agent: name } }, createNode('end', 'done')],
    edges: [{ id: 'e1', source: 'start', target: 'triage' }, { id: 'e2', source: 'triage', target: 'done' }],
  };
  const created = await request.post('/api/v1/workflows', { data: { name: `LLM triage ${name}`, document: doc }, headers: apiHeaders() });
  expect(created.status(), await created.text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const published = await request.post(`/api/v1/workflows/${id}/publish`, { data: {}, headers: apiHeaders() });
  expect(published.status(), await published.text()).toBe(200);
  await page.goto(`/workflows/${id}`);
  await page.getByTestId('open-run').click();
  await page.getByTestId('run-input').fill('{ "facts": "A late delivery under a supply contract" }');
  await page.getByTestId('run-start').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });

  // The model got the rendered prompts, the key, and the model name; the run shows its tokens and cost.
  const sent = fake!.requests.filter((r) => r.body.messages.some((m) => m.content?.includes('A late delivery under a supply contract')));
  expect(sent).toHaveLength(1);
  expect(sent[0]!.body.model).toBe('e2e-fake-model');
  expect(sent[0]!.headers.authorization).toBe('Bearer sk-e2e-never-shown');
  expect(sent[0]!.body.messages[0]!.content).toContain('You triage legal cases.');
  await expect(page.getByTestId('run-tokens')).toHaveText(/^[1-9][\d,.k]* \/ [1-9][\d,.k]* · /);
  await expect(page.getByTestId('run-cost')).toHaveText(/^ · 0\.0*[1-9]/);
  await expect(page.locator('[data-testid="node-row"][data-node-id="triage"]').getByTestId('node-agent')).toHaveText(`${name} v1`);

  // The registry shows it online, and the overview its tokens and cost; the key is on no page.
  await page.goto('/agents');
  await expect(page.getByTestId(`agent-health-${name}`)).toHaveAttribute('data-status', 'online');
  expect(await page.content()).not.toContain('sk-e2e-never-shown');
  await page.goto('/');
  const row = page.getByTestId('agent-table').locator('tr', { hasText: name });
  await expect(row.getByTestId('agent-tokens-in')).toHaveText(/^[1-9]/, { timeout: 15_000 });
  await expect(row.getByTestId('agent-cost')).toHaveText(/[1-9]/);
});
