/**
 * The rough edges a new user hit (issue 16), each as that user meets it: the add menu wires a new step to
 * the first free port of the selection (routes, then default; approved, then rejected) and keeps it in
 * view; a connection dropped on a node's body connects; routes and steps read by their labels; problems
 * name the step and route in words; layout keeps branches in port order; a bare error count; History
 * closes; Publish waits for a change; the exported file names its workflow; a designer run records its
 * trigger; the overview names steps and workflows; a Spine 404; the drawer leaves the top bar usable.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { createWorkflow, publish } from './fixtures';

test.use({ viewport: { width: 1600, height: 1000 } });

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
const card = (page: Page, id: string) => node(page, id).getByTestId('designer-node');

async function select(page: Page, id: string) {
  await node(page, id).click();
  await expect(node(page, id)).toHaveClass(/selected/);
}

async function addAfterSelection(page: Page, kind: string) {
  await page.keyboard.press('/');
  await page.keyboard.type(kind);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('add-node-menu')).toBeHidden();
}

async function centre(l: Locator) {
  const b = (await l.boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** The centre of `l` once it has stopped moving (Zoom to fit animates for 200 ms). */
async function settledCentre(l: Locator) {
  let last = await centre(l);
  await expect(async () => {
    await l.page().waitForTimeout(100);
    const now = await centre(l);
    const still = Math.abs(now.x - last.x) < 0.5 && Math.abs(now.y - last.y) < 0.5;
    last = now;
    expect(still).toBe(true);
  }).toPass({ timeout: 5_000 });
  return last;
}

/** Export JSON from the editor's menu: the file, parsed, and its suggested name. */
async function exported(page: Page): Promise<{ doc: { name?: string; nodes: { id: string; position: { x: number; y: number } }[]; edges: { source: string; target: string; sourceHandle?: string }[] }; name: string }> {
  await page.getByTestId('more-menu').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('menu-export').click()]);
  return { doc: JSON.parse(await readFile((await download.path())!, 'utf8')), name: download.suggestedFilename() };
}

const draft = {
  formatVersion: 1,
  nodes: [
    { id: 't', kind: 'trigger', label: 'Start', position: { x: 0, y: 200 }, config: {} },
    {
      id: 'r',
      kind: 'router',
      label: 'Risk level',
      position: { x: 300, y: 200 },
      config: { routes: [{ id: 'hi', label: 'High risk', condition: 'input.risk == "high"' }, { id: 'lo', label: 'Low risk', condition: 'input.risk ==' }] },
    },
    { id: 'a', kind: 'approval', label: 'Partner review', position: { x: 300, y: 600 }, config: {} },
    { id: 'ok', kind: 'end', label: 'Released', position: { x: 600, y: 600 }, config: {} },
    { id: 'd', kind: 'delay', label: 'Wait a minute', position: { x: 0, y: -200 }, config: { mode: 'duration', durationMs: 60000 } },
    { id: 'z', kind: 'end', label: 'Drop target', position: { x: 500, y: -200 }, config: {} },
  ],
  edges: [
    { id: 'e-t-r', source: 't', target: 'r' },
    { id: 'e-a-ok', source: 'a', target: 'ok', sourceHandle: 'approved' },
  ],
};

test('the add menu wires the first free port and keeps the step in view; a drop on a node body connects; labels, not ids', async ({ page }) => {
  await createWorkflow(page, `Wiring ${randomUUID().slice(0, 6)}`);
  await page.getByTestId('import-file').setInputFiles({ name: 'wiring.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(draft)) });
  await expect(node(page, 'r')).toBeVisible();

  // After the router: its routes in order, then its default; the menu says which port it will take.
  await select(page, 'r');
  await page.keyboard.press('/');
  await expect(page.getByTestId('add-node-menu')).toContainText('connected to its “High risk” port');
  await page.keyboard.type('end');
  await page.keyboard.press('Enter');
  await expect(node(page, 'end-1')).toBeVisible();
  await select(page, 'r');
  await addAfterSelection(page, 'end');
  await select(page, 'r');
  await addAfterSelection(page, 'end');
  await expect(node(page, 'end-3')).toBeInViewport();
  // After the approval whose `approved` is taken: `rejected`.
  await select(page, 'a');
  await addAfterSelection(page, 'end');
  await expect(node(page, 'end-4')).toBeInViewport();

  // A connection dropped on the body of a node (not on its port) connects to that node's input. Both sit at
  // the top of the drawing, clear of the Problems panel, the minimap and toasts along the bottom.
  await page.getByTestId('fit-view').click();
  await expect(node(page, 'z')).toBeInViewport();
  const from = await settledCentre(node(page, 'd').locator('.react-flow__handle.source'));
  const to = await settledCentre(card(page, 'z'));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, to.y, { steps: 4 });
  await page.mouse.move(to.x + 20, to.y + 10, { steps: 4 });
  await page.mouse.up();

  // Routes read by their labels on the canvas.
  await expect(page.getByTestId('edge-label').filter({ hasText: 'High risk' })).toHaveCount(1);
  await expect(page.getByTestId('edge-label').filter({ hasText: 'Low risk' })).toHaveCount(1);
  await expect(page.getByTestId('edge-label').filter({ hasText: /^hi$|^lo$/ })).toHaveCount(0);

  const { doc } = await exported(page);
  const into = (target: string) => doc.edges.find((e) => e.target === target);
  expect([into('end-1')?.sourceHandle, into('end-2')?.sourceHandle, into('end-3')?.sourceHandle]).toEqual(['hi', 'lo', 'default']);
  expect(into('end-4')).toMatchObject({ source: 'a', sourceHandle: 'rejected' });
  expect(into('z')).toMatchObject({ source: 'd' });

  // The broken condition is named by step and route, in words.
  await expect(page.getByTestId('problem').and(page.locator('[data-code="expression.invalid"]'))).toContainText("Router 'Risk level' (r), the condition of route 'Low risk'");
  // A node with several errors shows a bare count (not "!3", read as "13").
  const badges = await page.getByTestId('problem-badge').allTextContents();
  expect(badges.length).toBeGreaterThan(0);
  for (const b of badges) expect(b).toMatch(/^(!|\?|\d+)$/);

  // Layout keeps branches in port order: High risk above Low risk above the default.
  await page.getByTestId('auto-layout').click();
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved');
  const laidOut = (await exported(page)).doc;
  const y = (id: string) => laidOut.nodes.find((n) => n.id === id)!.position.y;
  expect(y('end-1')).toBeLessThan(y('end-2'));
  expect(y('end-2')).toBeLessThan(y('end-3'));
  expect(y('ok')).toBeLessThan(y('end-4'));
});

test('layout orders branches drawn the other way round by port', async ({ page }) => {
  await createWorkflow(page, `Layout ${randomUUID().slice(0, 6)}`);
  const crossed = {
    formatVersion: 1,
    nodes: [
      { id: 't', kind: 'trigger', position: { x: 0, y: 300 }, config: {} },
      { id: 'r', kind: 'router', position: { x: 300, y: 300 }, config: { routes: [{ id: 'hi', label: 'High', condition: 'true' }] } },
      { id: 'h', kind: 'approval', position: { x: 600, y: 500 }, config: {} },
      { id: 'dflt', kind: 'end', position: { x: 600, y: 100 }, config: {} },
      { id: 'yes', kind: 'end', position: { x: 900, y: 700 }, config: {} },
      { id: 'no', kind: 'end', position: { x: 900, y: 400 }, config: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'r' },
      { id: 'e2', source: 'r', target: 'h', sourceHandle: 'hi' },
      { id: 'e3', source: 'r', target: 'dflt', sourceHandle: 'default' },
      { id: 'e4', source: 'h', target: 'yes', sourceHandle: 'approved' },
      { id: 'e5', source: 'h', target: 'no', sourceHandle: 'rejected' },
    ],
  };
  await page.getByTestId('import-file').setInputFiles({ name: 'crossed.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(crossed)) });
  await expect(node(page, 'h')).toBeVisible();
  await page.getByTestId('auto-layout').click();
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved');
  const { doc } = await exported(page);
  const y = (id: string) => doc.nodes.find((n) => n.id === id)!.position.y;
  expect(y('h')).toBeLessThan(y('dflt'));
  expect(y('yes')).toBeLessThan(y('no'));
});

test('History closes, Publish waits for a change, the export names its workflow, and a designer run records its trigger and its step labels', async ({ page, request }) => {
  test.setTimeout(90_000);
  const name = `Procurement ${randomUUID().slice(0, 6)}`;
  await createWorkflow(page, name, 'Procurement');
  await page.getByTestId('open-history').click();
  await expect(page.getByTestId('version-history')).toBeVisible();
  await page.getByTestId('close-history').click();
  await expect(page.getByTestId('version-history')).toBeHidden();

  await page.getByTestId('open-publish').click();
  await page.getByTestId('publish-confirm').click();
  await expect(page.getByText('v1 published')).toBeVisible();
  // Nothing changed since v1: publishing would make an identical version.
  await expect(page.getByTestId('open-publish')).toBeDisabled();
  const { doc, name: file } = await exported(page);
  expect(doc.name).toBe(name);
  expect(file).toMatch(/\.json$/);

  await page.getByTestId('open-run').click();
  await page.getByTestId('run-input').fill('{ "amount": 500, "quantity": 1 }');
  await page.getByTestId('run-start').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  const runId = page.url().split('/').pop()!;
  // Waiting on the step by its label; the run canvas has no minimap covering its nodes.
  await expect(page.getByTestId('waiting-on')).toContainText('Contract approval', { timeout: 20_000 });
  await expect(page.getByTestId('run-canvas').locator('.react-flow__minimap')).toHaveCount(0);

  const res = await request.get(`/api/v1/runs/${runId}/events`);
  expect(res.status()).toBe(200);
  const { events } = (await res.json()) as { events: { type: string; payload: { trigger?: { kind: string }; startedBy?: string } }[] };
  expect(events.find((e) => e.type === 'run.started')?.payload).toMatchObject({ trigger: { kind: 'designer' }, startedBy: expect.any(String) });

  // The overview names the step and the workflow of approvals waiting (which 20 are shown depends on the
  // other tests' approvals, oldest first; the labels themselves are asserted in observability.int.test.ts).
  await page.goto('/');
  const oldest = page.getByTestId('pending-approval').first();
  await expect(oldest).toContainText(/ · run [0-9a-f]{8}/);
  await expect(oldest).not.toContainText(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
  await expect(page.getByTestId('stat-events-note')).toContainText('last 1 hour');
});

test('a Spine 404; the event drawer leaves the top bar usable; no layout shift from the scrollbar; the nav marks a slow navigation', async ({ page, request }) => {
  const res = await page.goto('/nope');
  expect(res?.status()).toBe(404);
  await expect(page.getByTestId('not-found')).toContainText('There is no page here');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).scrollbarGutter)).toBe('stable');

  const hit = await publish(request, { type: 'e2e.drawer', payload: { n: 1 } });
  await page.goto(`/timeline?event=${hit.seq}&seq=${hit.seq}`);
  const drawer = page.getByTestId('event-drawer');
  await expect(drawer).toContainText(`Event #${hit.seq}`, { timeout: 15_000 });
  const menu = page.getByTestId('user-menu');
  await expect(menu).toBeVisible();
  const m = await centre(menu);
  expect(await page.evaluate(({ x, y }) => !!document.elementFromPoint(x, y)?.closest('[data-testid="user-menu"]'), m)).toBe(true);

  // Navigation to a page whose render is held: the nav (or the page's skeleton) says it is coming.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.goto('/');
  await page.route(
    (u) => u.pathname === '/runs',
    async (route) => {
      await held;
      await route.continue();
    },
  );
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  await expect(page.getByTestId('nav-pending').or(page.getByTestId('page-loading'))).toBeVisible();
  release();
  await expect(page).toHaveURL(/\/runs$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Runs' })).toBeVisible();
  await expect(page.getByTestId('page-loading')).toHaveCount(0);
});
