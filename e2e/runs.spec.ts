/**
 * Runs and reasoning paths: a legal case analysed by five agents and a summarizer; from the summary, the
 * reasoning path leads back through the join and every analysis to the user's intent, each step with
 * its agent, inputs, outputs, envelope version and timing, and prints without the navigation. The run
 * list filters and sorts by URL. The default `request` and `page` act as an admin through the run's API
 * key (playwright.config.ts).
 */
import { expect, test, type APIRequestContext } from '@playwright/test';

async function startRun(request: APIRequestContext, workflow: string, body: Record<string, unknown>): Promise<string> {
  const res = await request.post(`/api/v1/workflows/${workflow}/runs`, { data: body });
  expect(res.status(), await res.text()).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

test("a summarizer result's reasoning path leads back to the intent, complete and printable", async ({ page, request }) => {
  test.setTimeout(60_000);
  const intent = `Assess the subsidiary breach ${Date.now()}`;
  const runId = await startRun(request, 'legal-case-analysis', { input: { facts: 'GDPR breach at a subsidiary' }, intent });
  await page.goto(`/runs/${runId}`);
  const summarizer = page.locator('[data-testid="node-row"][data-node-id="summarizer"]');
  await expect(summarizer).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
  // The run drawn on its workflow, each node with its state.
  const canvas = page.getByTestId('run-canvas');
  await expect(canvas.locator('.react-flow__node[data-id="summarizer"]')).toContainText('done');
  expect((await canvas.boundingBox())?.height ?? 0).toBeGreaterThan(300);
  await summarizer.getByRole('link', { name: /Reasoning path of Summarize/ }).click();

  const path = page.getByTestId('reasoning-path');
  await expect(path).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('path-complete')).toBeVisible();
  await expect(page.getByTestId('path-intent')).toContainText(intent);
  const hops = path.getByTestId('path-hop');
  await expect(hops.first()).toHaveAttribute('data-kind', 'start');
  await expect(hops.last()).toHaveAttribute('data-hop-id', 'node:summarizer');
  for (const agent of ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'])
    await expect(path.locator(`[data-testid="path-hop"][data-hop-id="node:${agent}"]`)).toContainText(`${agent} (agent)`);
  await expect(path.locator('[data-testid="path-hop"][data-hop-id="node:all-analyses"]')).toContainText('came after step');
  const summary = path.locator('[data-testid="path-hop"][data-hop-id="node:summarizer"]');
  await expect(summary).toContainText('summarizer (agent)');
  await expect(summary).toContainText('v1');
  await expect(summary.getByTestId('target-output')).toContainText('"risk"');

  // Printed: no navigation, every step still there.
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'Print or save as PDF' })).toBeHidden();
  await expect(hops.first()).toBeVisible();
  await expect(summary).toBeVisible();
});

test('the run list filters by status and workflow, sorts, and keeps it in the URL', async ({ page, request }) => {
  const runId = await startRun(request, 'procurement', { input: { amount: 700, quantity: 1 }, intent: 'Buy a monitor' });
  await page.goto('/runs');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await page.getByRole('button', { name: 'waiting', exact: true }).click();
  await expect(page).toHaveURL(/status=waiting/);
  const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row).toContainText('approval Contract approval');
  await page.getByRole('button', { name: /^Duration/ }).click();
  await expect(page).toHaveURL(/sort=duration/);
  await expect(page.locator('th[aria-sort="descending"]')).toContainText('Duration');

  // The list follows the run by push: cancelled from its page, its row leaves the "waiting" view.
  await page.goto(`/runs/${runId}`);
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.getByRole('button', { name: 'Confirm cancel' }).click();
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'cancelled');
  // Ended, the run is folded again from its log alone: every engine decision re-decides as recorded.
  await expect(page.getByTestId('run-replay')).toHaveAttribute('data-identical', 'true', { timeout: 15_000 });
  await expect(page.getByTestId('run-replay')).toHaveText(/Replays identically/);
  await page.goto('/runs?status=cancelled');
  await expect(page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`)).toHaveAttribute('data-status', 'cancelled');
});

test('an operator forks an ended run from its page: the fork reuses every recorded output and ends the same way', async ({ page, request }) => {
  const runId = await startRun(request, 'translation-after-sentiment', { input: { text: 'Thank you for the lovely visit' }, intent: 'Translate a thank-you' });
  await page.goto(`/runs/${runId}`);
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });
  await page.getByTestId('fork-open').click();
  await expect(page.getByLabel('Fork point')).toHaveValue('end');
  await page.getByTestId('fork-submit').click();
  await expect(page).not.toHaveURL(new RegExp(`/runs/${runId}$`), { timeout: 15_000 });
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });
  const forkId = new URL(page.url()).pathname.split('/').at(-1)!;
  const events = (await (await request.get(`/api/v1/runs/${forkId}/events`)).json()) as { events: { type: string; payload: { reused?: boolean; fork?: { from: string } } }[] };
  expect(events.events[0]!.payload.fork?.from).toBe(runId);
  const completed = events.events.filter((e) => e.type === 'task.completed');
  expect(completed.length).toBeGreaterThan(0);
  expect(completed.every((e) => e.payload.reused === true)).toBe(true);
  await expect(page.getByTestId('run-replay')).toHaveAttribute('data-identical', 'true', { timeout: 15_000 });
});
