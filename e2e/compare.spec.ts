/**
 * Compare (issue 14 §3): an operator forks an ended run from its page with a changed input, opens
 * "Compare with origin" on the fork, and sees the two runs side by side: the divergence row marked and
 * scrolled into view, the differing output diffed, the input change and the route each run took. The
 * origin lists its fork; the runs table compares any two ticked runs. The default `page` and `request`
 * act as an admin through the run's API key (playwright.config.ts).
 */
import { expect, test, type APIRequestContext } from '@playwright/test';

async function startRun(request: APIRequestContext, workflow: string, body: Record<string, unknown>): Promise<string> {
  const res = await request.post(`/api/v1/workflows/${workflow}/runs`, { data: body });
  expect(res.status(), await res.text()).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

test('a fork with a changed input, compared with its origin: the divergence row is marked, in view, and its output diffed', async ({ page, request }) => {
  test.setTimeout(60_000);
  const runId = await startRun(request, 'translation-after-sentiment', { input: { text: 'Thank you for the lovely visit', to: 'de' }, intent: 'Translate a thank-you' });
  await page.goto(`/runs/${runId}`);
  const status = page.getByRole('heading', { level: 1 }).getByTestId('run-status');
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });

  // Forked from the first step, with another text: nothing reused, the sentiment agent answers the new input.
  await page.getByTestId('fork-open').click();
  await page.getByLabel('Fork point').selectOption({ index: 1 });
  await page.getByTestId('fork-change-input').click();
  const input = page.getByTestId('fork-input');
  await expect(input).toHaveValue(/Thank you for the lovely visit/);
  await input.fill('{ "text": "not json');
  await page.getByTestId('fork-submit').click();
  await expect(page.getByRole('alert').filter({ hasText: 'The input is not JSON' })).toBeVisible();
  await input.fill('{ "text": "I will kill you", "to": "de" }');
  await page.getByTestId('fork-submit').click();
  await expect(page).not.toHaveURL(new RegExp(`/runs/${runId}$`), { timeout: 15_000 });
  await expect(status).toHaveAttribute('data-status', 'failed', { timeout: 20_000 });
  const forkId = new URL(page.url()).pathname.split('/').at(-1)!;

  await page.getByTestId('compare-with-origin').click();
  await expect(page).toHaveURL(new RegExp(`/runs/compare\\?a=${runId}&b=${forkId}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Compare runs of Translation after sentiment');
  await expect(page.getByTestId('compare-divergence')).toContainText('The runs diverge at Sentiment analysis: another output');
  const diverging = page.locator('[data-testid="compare-row"][data-divergence="true"]');
  await expect(diverging).toHaveCount(1);
  await expect(diverging).toHaveAttribute('data-node-id', 'sentiment');
  await expect(diverging.getByTestId('diverges-here')).toHaveText('Diverges here');
  await expect(diverging).toBeInViewport();
  // The changed output field is highlighted in both outputs, and listed with its values before and after.
  await expect(diverging.locator('[data-testid="node-output"] [data-changed="true"]').first()).toContainText('"appropriate": true');
  const diff = page.getByTestId('compare-output-diff').first();
  await expect(diff.getByTestId('json-change').filter({ hasText: 'appropriate' })).toContainText('true → false');
  await expect(page.getByTestId('compare-input-diff')).toContainText('I will kill you');
  // The rows before it agree; the router took another route; each run's end is named, not its id.
  await expect(page.locator('[data-testid="compare-row"][data-node-id="text-received"]')).toHaveAttribute('data-differs', 'false');
  const route = page.locator('[data-testid="compare-row"][data-node-id="appropriate"]');
  await expect(route.getByTestId('node-decision')).toHaveText([/route .+ → Translate/, /route default → Rejected/]);
  await expect(page.getByTestId('compare-run-a')).toContainText('completed');
  await expect(page.getByTestId('compare-run-b')).toContainText('from run A');
  await expect(page.getByTestId('compare-totals')).toContainText('agent calls');

  // The origin lists its fork, with its own Compare.
  await page.goto(`/runs/${runId}`);
  const fork = page.getByTestId('run-fork');
  await expect(fork).toHaveCount(1);
  await fork.getByTestId('compare-with-fork').click();
  await expect(page.getByTestId('diverges-here')).toBeVisible();

  // The runs table compares the two ticked runs.
  await page.goto('/runs');
  await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).getByTestId('run-pick').check();
  await expect(page.getByTestId('runs-compare-bar')).toContainText('Tick another run');
  await page.locator(`[data-testid="run-row"][data-run-id="${forkId}"]`).getByTestId('run-pick').check();
  await page.getByTestId('runs-compare').click();
  await expect(page).toHaveURL(new RegExp(`/runs/compare\\?a=${runId}&b=${forkId}$`));
  await expect(page.locator('[data-testid="compare-row"][data-divergence="true"]')).toHaveAttribute('data-node-id', 'sentiment');
});

test('comparing with a run that does not exist says which', async ({ page, request }) => {
  const runId = await startRun(request, 'translation-after-sentiment', { input: { text: 'Hello' } });
  await page.goto(`/runs/compare?a=${runId}&b=no-such-run`);
  await expect(page.getByRole('alert').filter({ hasText: 'Could not compare the runs' })).toContainText("No run 'no-such-run'");
});

test('from the designer, a recorded run is forked with the newly published version: every agent answer reused, only the change decided again', async ({ page, request }) => {
  test.setTimeout(60_000);
  const created = await request.post('/api/v1/workflows', { data: { name: `Designer fork ${Date.now()}`, template: 'translation-after-sentiment' } });
  expect(created.status(), await created.text()).toBe(201);
  const wf = (await created.json()) as { id: string; draft: { nodes: { id: string; kind: string; label?: string }[] }; draftRevision: number };
  expect((await request.post(`/api/v1/workflows/${wf.id}/publish`, { data: {} })).status()).toBe(200);
  const runId = await startRun(request, wf.id, { input: { text: 'Thank you for the lovely visit', to: 'de' } });
  await expect.poll(async () => ((await (await request.get(`/api/v1/runs/${runId}`)).json()) as { status: string }).status, { timeout: 20_000 }).toBe('completed');

  // Version 2 renames an end: a change to the workflow, none to any agent.
  const doc = { ...wf.draft, nodes: wf.draft.nodes.map((n) => (n.kind === 'end' ? { ...n, label: `${n.label ?? n.id} (v2)` } : n)) };
  expect((await request.put(`/api/v1/workflows/${wf.id}/draft`, { data: { document: doc, expectedRevision: wf.draftRevision } })).status()).toBe(200);
  expect(((await (await request.post(`/api/v1/workflows/${wf.id}/publish`, { data: {} })).json()) as { version: number }).version).toBe(2);

  await page.goto(`/workflows/${wf.id}`);
  await page.getByTestId('open-run').click();
  const recent = page.getByTestId('fork-recent');
  await expect(recent).toContainText('Or try version 2 on a recorded run');
  await expect(recent.getByTestId('fork-recent-run')).toContainText(runId.slice(0, 8));
  await recent.getByTestId('fork-recent-start').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  const forkId = new URL(page.url()).pathname.split('/').at(-1)!;
  expect(forkId).not.toBe(runId);
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });

  const events = ((await (await request.get(`/api/v1/runs/${forkId}/events`)).json()) as { events: { type: string; payload: Record<string, unknown> }[] }).events;
  expect(events[0]).toMatchObject({ type: 'run.started', payload: { version: 2, fork: { from: runId } } });
  const completed = events.filter((e) => e.type === 'task.completed');
  expect(completed.length).toBeGreaterThan(0);
  expect(completed.every((e) => e.payload.reused === true)).toBe(true);
});
