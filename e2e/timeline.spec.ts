/**
 * The timeline and the run view, live: a run of a demo workflow streams into the open timeline and its
 * nodes change state in the run view without a reload; filters live in the URL; the event drawer shows
 * the payload as text, the cause and effect links; and a page left open while the server restarts
 * reconnects and resumes from the last event it saw, with no gap and no duplicate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { eventRow, publish } from './fixtures';

async function startRun(request: APIRequestContext, workflow: string, body: Record<string, unknown>, baseURL?: string): Promise<string> {
  const res = await request.post(`${baseURL ?? ''}/api/v1/workflows/${workflow}/runs`, { data: body });
  expect(res.status(), await res.text()).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

/** Opens the timeline and waits until its live stream is connected (generous: the machine may be busy). */
async function openTimeline(page: Page, url = '/timeline') {
  await page.goto(url);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
}

/** An API key of a second person who may approve (the run's requester may not approve their own run). */
async function approverKey(request: APIRequestContext): Promise<string> {
  const res = await request.post('/api/trpc/admin.keys.create', { data: { name: `approver-${Date.now()}`, scopes: { roles: ['approver'] } } });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { result: { data: { secret: string } } }).result.data.secret;
}

const node = (page: Page, id: string) => page.locator(`[data-testid="node-row"][data-node-id="${id}"]`);

test('a run streams into the open timeline, and its nodes change state in the run view as it goes', async ({ page, request }) => {
  await openTimeline(page);
  const runId = await startRun(request, 'procurement', { input: { amount: 500, quantity: 1 }, intent: 'Buy one laptop for the new hire' });

  // Its events arrive by push: the start, the first steps, the approval it waits for.
  const rows = page.locator(`[data-testid="event-row"][data-run-id="${runId}"]`);
  await expect(rows.filter({ hasText: 'run.started' })).toBeVisible();
  await expect(rows.filter({ hasText: 'approval.requested' })).toBeVisible();
  const shown = await page.getByTestId('event-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  expect(shown).toEqual([...new Set(shown)].sort((a, b) => b - a));

  // The run view: the approval node waits, then turns done when someone approves; the run completes.
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await expect(node(page, 'contract-approval')).toHaveAttribute('data-status', 'waiting');
  const canvasNode = page.locator('[data-testid="run-canvas"] .react-flow__node[data-id="contract-approval"] [data-testid="designer-node"]');
  await expect(canvasNode).toHaveAttribute('data-status', 'waiting');
  await expect(node(page, 'legal-review')).toHaveAttribute('data-status', 'done');
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'waiting');

  const key = await approverKey(request);
  const decided = await request.post(`/api/v1/approvals/${encodeURIComponent(`${runId}:contract-approval`)}/decision`, {
    data: { decision: 'approve', comment: 'ok' },
    headers: { authorization: `Bearer ${key}` },
  });
  expect(decided.status(), await decided.text()).toBe(200);
  await expect(node(page, 'contract-approval')).toHaveAttribute('data-status', 'done');
  await expect(canvasNode).toHaveAttribute('data-status', 'done');
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 15_000 });
  await expect(page.locator('[data-testid="waterfall-row"][data-node-id="contract-approval"] [data-kind="approval-wait"]')).toHaveAttribute('data-outcome', 'ok');
  // Every event of the run is listed, and versions of its envelope can be compared.
  await expect(page.locator('[data-testid="run-event"][data-type="run.completed"]')).toHaveCount(1);
});

test('filters live in the URL, and the drawer shows the event as text with its causes and effects', async ({ page, request }) => {
  const marker = `m${Date.now()}`;
  await openTimeline(page, `/timeline?type=e2e.filtered&q=${marker}`);
  await expect(page.getByPlaceholder('Search payloads, types, keys…')).toHaveValue(marker);
  const other = await publish(request, { type: 'e2e.other', payload: { marker } });
  const hit = await publish(request, { type: 'e2e.filtered', key: 'e2e:f', payload: { marker, html: '<b>not bold</b>' } });
  await expect(eventRow(page, hit.seq)).toBeVisible();
  await expect(eventRow(page, other.seq)).toHaveCount(0);
  await expect(page.getByTestId('timeline-count')).toContainText('1 event');

  await eventRow(page, hit.seq).getByTitle(`Open event #${hit.seq}`).click();
  await expect(page).toHaveURL(new RegExp(`event=${hit.seq}`));
  const drawer = page.getByTestId('event-drawer');
  await expect(drawer).toContainText('e2e.filtered');
  await expect(drawer.getByTestId('event-integrity')).toHaveAttribute('data-state', 'ok');
  await drawer.getByRole('tab', { name: 'Text' }).click();
  await expect(drawer.getByLabel('Payload', { exact: true })).toContainText('"html": "<b>not bold</b>"');
  await expect(drawer.locator('b')).toHaveCount(0);

  // The same view, shared as a link: the drawer opens on the same event.
  await page.goto(page.url());
  await expect(page.getByTestId('event-drawer')).toContainText(`Event #${hit.seq}`, { timeout: 15_000 });

  // A run event links to its cause and its effects.
  const runId = await startRun(request, 'translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' } });
  await page.goto(`/timeline?run=${runId}&type=task.dispatched`);
  const dispatch = page.locator('[data-testid="event-row"]').first();
  await expect(dispatch).toBeVisible();
  await dispatch.getByTitle(/Open event/).click();
  await expect(page.getByTestId('event-drawer').getByRole('heading', { name: 'Caused by' })).toBeVisible();
  await expect(page.getByTestId('event-drawer').getByRole('button', { name: /node\.completed|route\.chosen/ }).first()).toBeVisible();
});

test('pausing holds new events behind an indicator, and jump to seq finds an older event', async ({ page, request }) => {
  await openTimeline(page, '/timeline?type=e2e.paused');
  const first = await publish(request, { type: 'e2e.paused', payload: { n: 1 } });
  await expect(eventRow(page, first.seq)).toBeVisible();
  await page.getByTestId('pause-toggle').click();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'paused');
  const second = await publish(request, { type: 'e2e.paused', payload: { n: 2 } });
  await expect(page.getByTestId('new-events')).toHaveText(/1 new event/);
  await expect(eventRow(page, second.seq)).toHaveCount(0);
  await page.getByTestId('pause-toggle').click();
  await expect(eventRow(page, second.seq)).toBeVisible();

  await openTimeline(page);
  await page.getByPlaceholder('Jump to #seq').fill(String(first.seq));
  await page.getByPlaceholder('Jump to #seq').press('Enter');
  await expect(page.getByRole('status').filter({ hasText: `Showing #${first.seq}` })).toBeVisible();
  await expect(eventRow(page, first.seq)).toBeVisible();
});

test.describe('a server restart under an open timeline', () => {
  let server: ChildProcess | undefined;
  let dir: string | undefined;
  test.afterEach(async () => {
    await stop(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('reconnects and resumes from the last seen seq, without gaps or duplicates', async ({ page, request }) => {
    test.setTimeout(120_000);
    dir = mkdtempSync(path.join(tmpdir(), 'spine-e2e-restart-'));
    const port = 3190 + Math.floor(Math.random() * 9);
    const base = `http://127.0.0.1:${port}`;
    const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', SPINE_DEMO: '0', DATABASE_URL: `file:${path.join(dir, 'spine.db')}`, SPINE_API_KEY: process.env.SPINE_E2E_API_KEY };
    server = await serve(env, base);
    const post = async (n: number) => {
      const res = await request.post(`${base}/api/v1/events`, { data: { type: 'e2e.restart', payload: { n } } });
      expect(res.status(), await res.text()).toBe(201);
      return ((await res.json()) as { seq: number }).seq;
    };
    const before = [await post(1), await post(2)];
    await openTimeline(page, `${base}/timeline?type=e2e.restart`);
    for (const s of before) await expect(eventRow(page, s)).toBeVisible();
    const live = await post(3);
    await expect(eventRow(page, live)).toBeVisible();

    await stop(server);
    await expect(page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'live', { timeout: 15_000 });
    server = await serve(env, base);
    // Committed before the page has reconnected: it must still arrive, once.
    const during = [await post(4), await post(5)];
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 45_000 });
    const after = await post(6);
    for (const s of [...before, live, ...during, after]) await expect(eventRow(page, s)).toHaveCount(1);
    const shown = await page.getByTestId('event-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    expect(shown).toEqual([after, ...during.reverse(), live, ...before.reverse()]);
  });
});

/** Starts scripts/serve.ts on the built app; resolves when it says it listens. */
async function serve(env: NodeJS.ProcessEnv, base: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/serve.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server at ${base} did not start within 60 s:\n${out}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += String(d);
      if (out.includes('Spine listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += String(d)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return child;
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}
