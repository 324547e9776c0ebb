/**
 * A2A in Chromium, Spine calling itself: an architect serves a published workflow over A2A from
 * /workflows (its card appears at the well-known path too), registers that card at /agents as an `a2a`
 * agent (the registry shows the card's skill; the token is never on a page), and a workflow whose agent
 * node is that a2a agent runs to completion through Spine's own JSON-RPC endpoint. And an A2A agent that
 * asks for input (an SDK-built test agent on loopback): an operator answers it in the approvals inbox, and
 * the answer goes back to the agent's task, which completes the run.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { startTestA2aAgent } from '../server/testing/a2aAgent';
import { apiHeaders, signedInAs } from './fixtures';

const doc = (agent: string) => ({
  formatVersion: 1,
  nodes: [
    { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
    { id: 'work', kind: 'agent', label: 'Work', position: { x: 300, y: 0 }, config: { agent } },
    { id: 'done', kind: 'end', label: 'Done', position: { x: 600, y: 0 }, config: { outcome: 'success', output: { said: 'results.work' } } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'work' },
    { id: 'e2', source: 'work', target: 'done' },
  ],
});

test('an architect serves a workflow over A2A, registers its card as an a2a agent, and a run calls it', async ({ browser, request, baseURL }) => {
  test.setTimeout(120_000);
  const tag = randomBytes(3).toString('hex');
  const headers = apiHeaders();
  const created = await request.post('/api/v1/workflows', { data: { name: `Echo desk ${tag}`, document: doc('echo') }, headers });
  expect(created.status(), await created.text()).toBe(201);
  const desk = (await created.json()) as { id: string; slug: string };
  expect((await request.post(`/api/v1/workflows/${desk.id}/publish`, { headers })).status()).toBe(200);

  // Serve it over A2A from the library's row menu.
  const page = await signedInAs(browser, ['architect', 'operator'], '/workflows');
  const row = page.locator(`[data-testid="workflow-row"][data-workflow-id="${desk.id}"]`);
  await row.getByRole('button', { name: `Actions for Echo desk ${tag}` }).click();
  await row.getByRole('menuitem', { name: 'Serve over A2A' }).click();
  await expect(row.getByTestId('a2a-exposed')).toBeVisible();
  const wellKnown = await request.get('/.well-known/agent-card.json', { headers: {} });
  expect(wellKnown.status()).toBe(200);
  expect(((await wellKnown.json()) as { skills: { id: string }[] }).skills.map((s) => s.id)).toContain(desk.slug);

  // Register the workflow's card as an a2a agent; the registry shows its skill.
  const name = `desk-${tag}`;
  const token = headers.authorization!.replace(/^Bearer /, '');
  await page.goto('/agents');
  await page.getByTestId('add-agent').click();
  const form = page.getByTestId('add-agent-dialog');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Kind').selectOption('a2a');
  await form.getByLabel('Agent Card URL').fill(`${baseURL}/api/a2a/${desk.id}/agent-card.json`);
  await form.getByLabel('Bearer token').fill(token);
  await form.getByTestId('agent-submit').click();
  await expect(page.getByTestId('toast').filter({ hasText: `Registered ${name}` })).toBeVisible();
  await expect(page.getByTestId(`agent-skills-${name}`)).toContainText(`skill: Echo desk ${tag}`);
  await page.getByTestId(`agent-row-${name}`).getByRole('button', { name }).click();
  await expect(page.getByTestId('agent-card')).toContainText('streaming');
  await expect(page.getByTestId('agent-skills')).toContainText(desk.slug);
  expect(await page.content()).not.toContain(token);
  await page.keyboard.press('Escape');

  // A workflow whose agent is the a2a agent runs through Spine's own A2A endpoint.
  const caller = await request.post('/api/v1/workflows', { data: { name: `Calls the desk ${tag}`, document: doc(name) }, headers });
  const callerId = ((await caller.json()) as { id: string }).id;
  expect((await request.post(`/api/v1/workflows/${callerId}/publish`, { headers })).status()).toBe(200);
  const started = await request.post(`/api/v1/workflows/${callerId}/runs`, { data: { input: { text: 'over A2A' } }, headers });
  expect(started.status(), await started.text()).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  await page.goto(`/runs/${runId}`);
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });
  const run = (await (await request.get(`/api/v1/runs/${runId}`, { headers })).json()) as { output: unknown };
  expect(run.output).toEqual({ said: { said: { echo: { text: 'over A2A' } } } });
});

test('an A2A agent asks for input: an operator answers in the approvals inbox and the run completes', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const remote = await startTestA2aAgent();
  try {
    const tag = randomBytes(3).toString('hex');
    const headers = apiHeaders();
    const name = `asker-${tag}`;
    const registered = await request.post('/api/v1/agents', { data: { name, kind: 'a2a', config: { cardUrl: remote.cardUrl('stream') } }, headers });
    expect(registered.status(), await registered.text()).toBe(201);
    const created = await request.post('/api/v1/workflows', { data: { name: `Asks ${tag}`, document: doc(name) }, headers });
    const id = ((await created.json()) as { id: string }).id;
    expect((await request.post(`/api/v1/workflows/${id}/publish`, { headers })).status()).toBe(200);
    const started = await request.post(`/api/v1/workflows/${id}/runs`, { data: { input: { mode: 'ask' } }, headers });
    const { runId } = (await started.json()) as { runId: string };

    const page = await signedInAs(browser, ['operator'], '/approvals');
    const card = page.getByTestId('agent-question').filter({ hasText: name });
    await expect(card.getByTestId('agent-question-text')).toHaveText('Which jurisdiction?', { timeout: 20_000 });
    await card.getByTestId('agent-answer').fill('{ "jurisdiction": "DE" }');
    await card.getByTestId('agent-answer-send').click();
    await expect(page.getByTestId('toast').filter({ hasText: `Answer sent to ${name}` })).toBeVisible();
    await expect(card).toHaveCount(0);

    await page.goto(`/runs/${runId}`);
    await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });
    const run = (await (await request.get(`/api/v1/runs/${runId}`, { headers })).json()) as { output: unknown };
    expect(run.output).toEqual({ said: { answered: { jurisdiction: 'DE' } } });
  } finally {
    await remote.close();
  }
});
