/**
 * Evaluating a changed agent in Chromium (issue 14 "Done when"): three runs of a small legal-case workflow
 * complete (intake → summarizer, HTTP agents on 127.0.0.1 that count their calls); an architect points the
 * summarizer at its new endpoint on /agents (version 2), evaluates v2 on the last 3 runs from the agent's
 * detail, and sees the table fill in: one run's output changed, the intake agent was not called again; then
 * rolls back (the registry shows the old endpoint as the next version), compares the changed run with its
 * fork, and sees an output schema that would break the workflow refused on the form until forced.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { apiHeaders, signedInAs } from './fixtures';

test.use({ viewport: { width: 1400, height: 1000 } });

let hook: Server;
let base = '';
const calls = new Map<string, number>();

test.beforeAll(async () => {
  // /intake → { caseId }; /sum-v1 → { summary: 'case <n>' }; /sum-v2 revises the summary of case 2 only, and
  // takes 1.5 s: the evaluation page opens while it runs, and the table fills in by push.
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      calls.set(path, (calls.get(path) ?? 0) + 1);
      const input = ((JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { input?: { n?: number; caseId?: string } }).input ?? {});
      const n = Number(input.n ?? String(input.caseId ?? 'C0').slice(1));
      const body = path === '/intake' ? { caseId: `C${n}` } : { summary: path === '/sum-v2' && n === 2 ? `case ${n} (revised)` : `case ${n}` };
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)), path === '/sum-v2' ? 1_500 : 0);
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
});
test.afterAll(async () => {
  hook.closeAllConnections();
  await new Promise((r) => hook.close(r));
});

test('an architect changes an agent, evaluates the new version on the last runs from /agents, sees the table and rolls back', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const tag = randomBytes(3).toString('hex');
  const headers = apiHeaders();
  const intake = `intake-${tag}`;
  const summarizer = `summarizer-${tag}`;
  for (const a of [
    { name: intake, kind: 'http', config: { url: `${base}/intake` } },
    { name: summarizer, kind: 'http', config: { url: `${base}/sum-v1` }, outputSchema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] } },
  ]) {
    const r = await request.post('/api/v1/agents', { data: a, headers });
    expect(r.status(), await r.text()).toBe(201);
  }
  const at = (x: number) => ({ x: x * 250, y: 0 });
  const document = {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', position: at(0), config: { mode: 'manual' } },
      { id: 'intake', kind: 'agent', position: at(1), config: { agent: intake, input: { n: 'input.n' } } },
      { id: 'summarize', kind: 'agent', position: at(2), config: { agent: summarizer, input: { caseId: 'results.intake.caseId' } } },
      { id: 'done', kind: 'end', position: at(3), config: { output: { summary: 'results.summarize.summary' } } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'intake' },
      { id: 'e2', source: 'intake', target: 'summarize' },
      { id: 'e3', source: 'summarize', target: 'done' },
    ],
  };
  const workflowName = `Legal case ${tag}`;
  const created = await request.post('/api/v1/workflows', { data: { name: workflowName, document }, headers });
  expect(created.status(), await created.text()).toBe(201);
  const wf = (await created.json()) as { id: string };
  expect((await request.post(`/api/v1/workflows/${wf.id}/publish`, { headers })).status()).toBe(200);
  for (const n of [1, 2, 3]) {
    const started = await request.post(`/api/v1/workflows/${wf.id}/runs`, { data: { input: { n } }, headers });
    expect(started.status(), await started.text()).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    await expect.poll(async () => ((await (await request.get(`/api/v1/runs/${runId}`, { headers })).json()) as { status: string }).status, { timeout: 20_000 }).toBe('completed');
  }
  expect(calls.get('/intake')).toBe(3);

  // The architect points the summarizer at its new endpoint: version 2.
  const page = await signedInAs(browser, ['architect', 'operator'], '/agents');
  await page.getByTestId(`agent-row-${summarizer}`).getByRole('button', { name: summarizer }).click();
  const detail = page.getByTestId('agent-detail');
  await detail.getByTestId('edit-agent').click();
  await detail.getByLabel('Webhook URL').fill(`${base}/sum-v2`);
  await detail.getByTestId('agent-submit').click();
  await expect(page.getByTestId(`agent-row-${summarizer}`)).toContainText('v2');

  // Evaluate v2 on the last 3 runs, from the agent's detail (still open after the save).
  await expect(detail.getByTestId('agent-version')).toHaveText('2');
  const form = detail.getByTestId('evaluate-form');
  await expect(form.getByLabel('Workflow')).toContainText(workflowName);
  await form.getByLabel('Workflow').selectOption({ label: `${workflowName} (v1)` });
  await form.getByLabel('Version').selectOption('2');
  await form.getByLabel('Last N runs').fill('3');
  await form.getByTestId('evaluate-submit').click();

  await expect(page).toHaveURL(/\/evaluations\//);
  await expect(page.getByTestId('evaluation-row')).toHaveCount(3);
  await expect(page.getByTestId('evaluation-status')).toHaveText('completed', { timeout: 30_000 });
  await expect(page.getByTestId('evaluation-row')).toHaveCount(3);
  await expect(page.getByTestId('summary-same')).toHaveText('2');
  await expect(page.getByTestId('summary-changed')).toHaveText('1');
  await expect(page.getByTestId('summary-contract')).toHaveText('0');
  const changed = page.locator('[data-testid="evaluation-row"][data-same="false"]');
  await expect(changed).toHaveCount(1);
  await expect(changed).toContainText('summarize');
  await expect(changed.getByRole('link', { name: 'Compare' })).toHaveAttribute('href', /\/runs\/compare\?a=.+&b=.+/);
  // The forks reused the intake's recorded answers and called only the candidate.
  expect([calls.get('/intake'), calls.get('/sum-v1'), calls.get('/sum-v2')]).toEqual([3, 3, 3]);

  // Roll back: v1's endpoint is current again, as version 3.
  await page.getByTestId('evaluation-rollback').click();
  await expect(page.getByTestId('evaluation-decision')).toContainText('Rolled back to v1');
  const agent = (await (await request.get(`/api/v1/agents/${summarizer}`, { headers })).json()) as { version: number; config: { url: string } };
  expect(agent).toMatchObject({ version: 3, config: { url: `${base}/sum-v1` } });

  // The changed run and its fork side by side: they diverge at the summarizer.
  await changed.getByRole('link', { name: 'Compare' }).click();
  await expect(page).toHaveURL(/\/runs\/compare\?a=.+&b=.+/);
  await expect(page.getByTestId('compare-divergence')).toContainText('diverge at summarize');

  // An output schema without `summary` would break the workflow's end step: refused with the place, on the
  // form, until "Change it anyway".
  await page.goto('/agents');
  await page.getByTestId(`agent-row-${summarizer}`).getByRole('button', { name: summarizer }).click();
  await detail.getByTestId('edit-agent').click();
  await detail.getByLabel('Output schema (JSON Schema)').fill('{ "type": "object", "properties": { "text": { "type": "string" } } }');
  await detail.getByTestId('agent-submit').click();
  await expect(detail.getByTestId('agent-schema-breaking')).toContainText(`${workflowName} v1 · step 'done' · output 'summary' reads 'summary', which the new version removes`);
  expect(((await (await request.get(`/api/v1/agents/${summarizer}`, { headers })).json()) as { version: number }).version).toBe(3);
  await detail.getByTestId('agent-force').check();
  await detail.getByTestId('agent-submit').click();
  await expect(detail.getByTestId('agent-version')).toHaveText('4');
});
