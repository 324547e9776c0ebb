/**
 * LLM agents in the browser: the legal case with LLM specialists (its agents on a fake OpenAI-compatible
 * server this spec starts on the loopback port playwright.config.ts gives the app) runs, and a person sees
 * its tokens and cost on the run page and the specialists' tokens in the overview's agents table.
 */
import { expect, test } from '@playwright/test';
import { startFakeOpenAi, type FakeOpenAi } from '../server/testing/fakeOpenAi';

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
