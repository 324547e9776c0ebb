/**
 * The workflow designer in Chromium, as a user drives it: drawing the legal-case workflow from an empty
 * canvas by dragging and connecting, fixing a validation error, publishing, running and watching every node
 * turn done; undo/redo; export → import; hostile files; version history; copy/paste between workflows; a
 * second tab's conflicting save. Screenshots for the README are taken on the way (docs/screenshots).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { z } from 'zod';
import { createWorkflow } from './fixtures';

test.use({ viewport: { width: 1600, height: 1000 } });

const SCREENSHOTS = 'docs/screenshots';
const Doc = z.object({ formatVersion: z.literal(1), nodes: z.array(z.object({ id: z.string() }).passthrough()), edges: z.array(z.object({ id: z.string() }).passthrough()) });
type Doc = z.infer<typeof Doc>;

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
/** The node's card, which carries its problems (`data-problems`), run state (`data-status`) and diff mark. */
const card = (page: Page, id: string) => node(page, id).getByTestId('designer-node');
const nodes = (page: Page) => page.locator('.react-flow__node');
const edges = (page: Page) => page.locator('.react-flow__edge');
const pane = (page: Page) => page.locator('.react-flow__pane');

/** Drags a kind from the palette and drops it on the canvas at (x, y) relative to the canvas. */
async function drop(page: Page, kind: string, x: number, y: number) {
  const before = await nodes(page).count();
  await page.getByTestId(`palette-${kind}`).dragTo(pane(page), { targetPosition: { x, y } });
  await expect(nodes(page)).toHaveCount(before + 1);
}

async function centre(l: Locator) {
  const b = (await l.boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** Drags from a node's output port to another node's input, like a user. */
async function connect(page: Page, from: string, to: string, handle = 'default', opts: { expectRefused?: RegExp } = {}) {
  const before = await edges(page).count();
  const a = await centre(node(page, from).locator(`.react-flow__handle.source[data-handleid="${handle}"]`));
  const b = await centre(node(page, to).locator('.react-flow__handle.target'));
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 4 });
  await page.mouse.move(b.x, b.y, { steps: 4 });
  if (opts.expectRefused) await expect(page.getByTestId('connection-hint')).toContainText(opts.expectRefused);
  await page.mouse.up();
  await expect(edges(page)).toHaveCount(opts.expectRefused ? before : before + 1);
}

async function select(page: Page, id: string) {
  await node(page, id).click();
  await expect(node(page, id)).toHaveClass(/selected/);
  await expect(page.getByTestId('node-inspector')).toHaveAttribute('data-node-id', id);
}

/** Clicks empty canvas: clears the selection and takes focus away from any field. */
async function clickPane(page: Page) {
  const b = (await pane(page).boundingBox())!;
  await page.mouse.click(b.x + 8, b.y + 8);
}

async function waitSaved(page: Page) {
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved');
}

/** Export JSON from the editor's menu; the downloaded document, parsed. */
async function exportDocument(page: Page): Promise<{ doc: Doc; text: string; name: string }> {
  await page.getByTestId('more-menu').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('menu-export').click()]);
  const text = await readFile((await download.path())!, 'utf8');
  return { doc: Doc.parse(JSON.parse(text)), text, name: download.suggestedFilename() };
}

const positions = (d: Doc) => Object.fromEntries(d.nodes.map((n) => [n.id, n.position]));

test('build the legal case from an empty canvas, fix a provoked error, publish, run it and watch every node turn done', async ({ page }) => {
  test.setTimeout(120_000);
  const workflowId = await createWorkflow(page, `Legal case ${randomUUID().slice(0, 6)}`);
  await expect(page.getByTestId('canvas-empty')).toBeVisible();
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved');

  // Zoom out so the whole workflow fits while it is drawn.
  await page.locator('.react-flow__controls-zoomout').click();
  await page.locator('.react-flow__controls-zoomout').click();

  // Trigger → fan-out → 5 agents → join (all) → summarizer → end, dropped from the palette.
  const col = (c: number) => 70 + c * 175;
  await drop(page, 'trigger', col(0), 330);
  await expect(page.getByTestId('canvas-empty')).toHaveCount(0);
  await drop(page, 'fanOut', col(1), 330);
  for (let i = 0; i < 5; i++) await drop(page, 'agent', col(2), 90 + i * 120);
  await drop(page, 'join', col(3), 330);
  await drop(page, 'agent', col(4), 330);
  await drop(page, 'end', col(5), 330);
  await expect(node(page, 'agent-6')).toBeVisible();

  await connect(page, 'trigger-1', 'fanOut-1');
  for (let i = 1; i <= 5; i++) await connect(page, 'fanOut-1', `agent-${i}`);
  for (let i = 1; i <= 5; i++) await connect(page, `agent-${i}`, 'join-1');
  await connect(page, 'join-1', 'agent-6');
  await connect(page, 'agent-6', 'end-1');
  // The rules refuse what would need a fan-out, and say so while the line is drawn.
  await connect(page, 'trigger-1', 'agent-6', 'default', { expectRefused: /fan-out/ });
  await expect(edges(page)).toHaveCount(13);

  // Every analysis gets its agent from the registry.
  const branches = [
    ['case-law', 'Case law'],
    ['financial-impact', 'Financial impact'],
    ['regulatory-risk', 'Regulatory risk'],
    ['precedent', 'Precedent'],
    ['sentiment', 'Sentiment'],
  ] as const;
  for (const [i, [agent, label]] of branches.entries()) {
    await select(page, `agent-${i + 1}`);
    await page.getByTestId('agent-picker').selectOption(agent);
    await page.getByTestId('node-label').fill(label);
    await expect(card(page, `agent-${i + 1}`)).not.toHaveAttribute('data-problems', /agent\.not_set/);
  }
  for (const [id, label] of [['trigger-1', 'Case opened'], ['fanOut-1', 'Analyse in parallel'], ['join-1', 'All analyses in'], ['end-1', 'Released']]) {
    await select(page, id!);
    await page.getByTestId('node-label').fill(label!);
  }
  await select(page, 'agent-6');
  await page.getByTestId('agent-picker').selectOption('summarizer');
  await page.getByTestId('node-label').fill('Summarize');

  // Provoke an error: an input mapping whose expression does not parse.
  const mapping = page.getByTestId('agent-input-mapping');
  await mapping.getByRole('button', { name: '+ Add' }).click();
  await mapping.getByRole('textbox', { name: /key 1/ }).fill('caseLaw');
  await mapping.getByTestId('expression-input').fill('results["agent-1"');
  await expect(mapping.getByTestId('expression-error')).toBeVisible();
  await expect(card(page, 'agent-6')).toHaveAttribute('data-problems', /expression\.invalid/);
  await expect(page.getByTestId('problem').and(page.locator('[data-code="expression.invalid"]'))).toHaveCount(1);
  // Publishing is refused, naming the error.
  await page.getByTestId('open-publish').click();
  await expect(page.getByTestId('publish-refused').locator('[data-code="expression.invalid"]')).toBeVisible();
  await expect(page.getByTestId('publish-confirm')).toBeDisabled();
  await page.keyboard.press('Escape');
  // Fix it: the preview evaluates against the sample envelope.
  await mapping.getByTestId('expression-input').fill('results["agent-1"]');
  await expect(mapping.getByTestId('expression-error')).toHaveCount(0);
  await expect(mapping.getByTestId('expression-preview')).toContainText('{}');
  await expect(card(page, 'agent-6')).not.toHaveAttribute('data-problems', /./);
  await expect(page.getByTestId('problems')).toHaveAttribute('data-errors', '0');

  await page.getByTestId('auto-layout').click();
  await waitSaved(page);
  await page.getByTestId('fit-view').click();
  await select(page, 'agent-6');
  await page.screenshot({ path: `${SCREENSHOTS}/editor.png` });

  // Publish version 1, with the change summary.
  await page.getByTestId('open-publish').click();
  await expect(page.getByTestId('publish-changes')).toContainText('Nodes added (10)');
  await expect(page.getByTestId('publish-summary')).toHaveValue(/10 nodes added/);
  await page.getByTestId('publish-confirm').click();
  await expect(page.getByTestId('toast').filter({ hasText: 'Published version 1' })).toBeVisible();
  await expect(page.getByText('v1 published')).toBeVisible();

  // Run it and watch every node turn done on the run's canvas.
  await page.getByTestId('open-run').click();
  await page.getByTestId('run-input').fill('{ "facts": "GDPR complaint about a subsidiary" }');
  await page.getByTestId('run-intent').fill('Assess the case');
  await page.getByTestId('run-start').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  const runId = page.url().split('/').pop()!;
  // The run's old address under its workflow leads to the run's one page.
  await page.goto(`/workflows/${workflowId}/runs/${runId}`);
  await expect(page).toHaveURL(`/runs/${runId}`);
  const live = page.getByTestId('run-canvas');
  await expect(live.locator('.react-flow__node')).toHaveCount(10);
  for (const id of ['trigger-1', 'fanOut-1', 'agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5', 'join-1', 'agent-6', 'end-1'])
    await expect(card(page, id)).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed');
  await expect(page.getByTestId('run-counts')).toHaveText(': 10 done');
});

test("a run's node states are pushed to its open canvas as they change", async ({ page }) => {
  test.setTimeout(90_000);
  // The legal case, with the partner review approving itself 5 s after it is requested.
  await createWorkflow(page, `Legal case live ${randomUUID().slice(0, 6)}`, 'Legal case analysis');
  await select(page, 'partner-review');
  await page.getByTestId('approval-sla').fill('5s');
  await page.getByTestId('approval-sla').press('Enter');
  await page.getByLabel('When the SLA lapses').selectOption('approve');
  await expect(card(page, 'partner-review')).toContainText('SLA 5s, then approve');
  await page.getByTestId('open-publish').click();
  await page.getByTestId('publish-confirm').click();
  await expect(page.getByText('v1 published')).toBeVisible();

  await page.getByTestId('open-run').click();
  await page.getByTestId('run-input').fill('{ "facts": "GDPR breach at a subsidiary" }');
  await page.getByTestId('run-intent').fill('Assess the case');
  await page.getByTestId('run-start').click();
  // Starting opens the run's page; this page follows it without a reload.
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/, { timeout: 15_000 });

  // A high-risk case waits for the partner's review; everything before it is done.
  await expect(card(page, 'partner-review')).toHaveAttribute('data-status', 'waiting', { timeout: 20_000 });
  for (const id of ['case-opened', 'analyse', 'case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment', 'all-analyses', 'summarizer', 'risk'])
    await expect(card(page, id)).toHaveAttribute('data-status', 'done');
  await expect(card(page, 'done')).toHaveAttribute('data-status', 'skipped');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
  await page.screenshot({ path: `${SCREENSHOTS}/live-run.png` });

  // The SLA lapses on the server; this page, never reloaded, follows.
  await expect(card(page, 'partner-review')).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
  await expect(card(page, 'released')).toHaveAttribute('data-status', 'done');
  await expect(card(page, 'withheld')).toHaveAttribute('data-status', 'skipped');
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed');
});

test('undo and redo restore exact states', async ({ page }) => {
  await createWorkflow(page, `Undo ${randomUUID().slice(0, 6)}`, 'Legal case analysis');
  await expect(nodes(page)).toHaveCount(14);
  await waitSaved(page);
  const a = (await exportDocument(page)).doc;

  // Three changes: a drag, a rename typed letter by letter, a deletion.
  const box = (await node(page, 'all-analyses').boundingBox())!;
  await page.mouse.move(box.x + 40, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + 60, box.y + 80, { steps: 8 });
  await page.mouse.up();
  await select(page, 'summarizer');
  await page.getByTestId('node-label').press('End');
  await page.getByTestId('node-label').pressSequentially(' the case');
  await clickPane(page);
  await node(page, 'sentiment').click();
  await page.keyboard.press('Delete');
  await expect(node(page, 'sentiment')).toHaveCount(0);
  await waitSaved(page);
  const b = (await exportDocument(page)).doc;
  expect(positions(b)['all-analyses']).not.toEqual(positions(a)['all-analyses']);
  expect(b.nodes.find((n) => n.id === 'summarizer')).toMatchObject({ label: 'Summarize the case' });
  expect(b.edges).toHaveLength(a.edges.length - 2);

  await clickPane(page);
  for (let i = 0; i < 3; i++) await page.keyboard.press('ControlOrMeta+z');
  await expect(node(page, 'sentiment')).toBeVisible();
  await waitSaved(page);
  expect((await exportDocument(page)).doc).toEqual(a);

  for (let i = 0; i < 3; i++) await page.keyboard.press('ControlOrMeta+Shift+z');
  await expect(node(page, 'sentiment')).toHaveCount(0);
  await waitSaved(page);
  expect((await exportDocument(page)).doc).toEqual(b);

  // The toolbar buttons do the same.
  await page.getByTestId('undo').click();
  await expect(node(page, 'sentiment')).toBeVisible();
  await page.getByTestId('redo').click();
  await expect(node(page, 'sentiment')).toHaveCount(0);
});

test('export → import round-trips to an identical graph; hostile files change nothing; labels stay text', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await createWorkflow(page, `Round trip ${randomUUID().slice(0, 6)}`, 'Procurement');
  await waitSaved(page);
  const exported = await exportDocument(page);
  expect(exported.name).toMatch(/\.json$/);

  // Import the file on the list page: a new workflow with the identical graph.
  await page.goto('/workflows');
  await expect(page.getByTestId('workflow-row').first()).toBeVisible();
  const rows = await page.getByTestId('workflow-row').count();
  const copyName = `procurement-${randomUUID().slice(0, 6)}`;
  await page.getByTestId('import-workflow-file').setInputFiles({ name: `${copyName}.json`, mimeType: 'application/json', buffer: Buffer.from(exported.text) });
  await expect(page).toHaveURL(/\/workflows\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('workflow-name')).toHaveText(copyName);
  await expect(nodes(page)).toHaveCount(exported.doc.nodes.length);
  expect((await exportDocument(page)).doc).toEqual(exported.doc);

  // Hostile files: each is refused with a clear error; nothing is created.
  const cyclic = {
    formatVersion: 1,
    nodes: [
      { id: 't', kind: 'trigger', label: '<script>alert(1)</script>', config: {} },
      { id: 'a', kind: 'agent', config: { agent: 'echo' } },
      { id: 'b', kind: 'agent', config: { agent: 'echo' } },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'a' },
      { id: 'e2', source: 'a', target: 'b' },
      { id: 'e3', source: 'b', target: 'a' },
    ],
  };
  const hostile = [
    { name: 'unknown.json', text: JSON.stringify({ formatVersion: 1, nodes: [{ id: 'x', kind: 'shellExec', config: { cmd: 'rm -rf /' } }], edges: [] }), code: 'import.unknown_kind' },
    { name: 'cycle.json', text: JSON.stringify(cyclic), code: 'graph.cycle' },
    { name: 'huge.json', text: `{"formatVersion":1,"nodes":[],"edges":[],"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`, code: 'import.too_large' },
    { name: 'broken.json', text: '{"formatVersion":1,"nodes":[', code: 'import.not_json' },
  ];
  await page.goto('/workflows');
  await expect(page.getByTestId('workflow-row')).toHaveCount(rows + 1);
  for (const f of hostile) {
    await page.getByTestId('import-workflow-file').setInputFiles({ name: f.name, mimeType: 'application/json', buffer: Buffer.from(f.text) });
    const error = page.getByTestId('import-error');
    await expect(error.locator(`[data-code="${f.code}"]`).first()).toBeVisible();
    await error.getByRole('button', { name: 'OK' }).click();
    await expect(error).toBeHidden();
  }
  await expect(page).toHaveURL(/\/workflows$/);
  await expect(page.getByTestId('workflow-row')).toHaveCount(rows + 1);

  // In the editor too: the graph is unchanged after a refused file.
  await page.getByTestId('workflow-row').filter({ hasText: copyName }).getByTestId('workflow-link').click();
  await expect(nodes(page)).toHaveCount(exported.doc.nodes.length);
  await page.getByTestId('import-file').setInputFiles({ name: 'cycle.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(cyclic)) });
  await expect(page.getByTestId('import-error')).toContainText('The workflow has a cycle');
  await page.getByTestId('import-error').getByRole('button', { name: 'OK' }).click();
  await expect(nodes(page)).toHaveCount(exported.doc.nodes.length);

  // Markup in labels is shown as text, never as HTML.
  const markup = { formatVersion: 1, nodes: [{ id: 'start', kind: 'trigger', label: '<img src=x onerror=alert(1)>', position: { x: 0, y: 0 } }, { id: 'end', kind: 'end', label: '<script>alert(2)</script>', position: { x: 300, y: 0 } }], edges: [{ id: 'e', source: 'start', target: 'end', label: '<b>bold</b>' }] };
  await page.getByTestId('import-file').setInputFiles({ name: 'markup.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(markup)) });
  await expect(nodes(page)).toHaveCount(2);
  await expect(node(page, 'start').getByTestId('node-title')).toHaveText('<img src=x onerror=alert(1)>');
  await expect(node(page, 'end').getByTestId('node-title')).toHaveText('<script>alert(2)</script>');
  await expect(page.getByTestId('edge-label')).toHaveText('<b>bold</b>');
  await expect(page.locator('.react-flow img, .react-flow script, .react-flow b')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});

test('version history: view a version, compare it with the draft, restore it as the draft', async ({ page }) => {
  await createWorkflow(page, `History ${randomUUID().slice(0, 6)}`, 'Booking vs cancellation');
  await page.getByTestId('open-publish').click();
  await page.getByTestId('publish-confirm').click();
  await expect(page.getByText('v1 published')).toBeVisible();

  await select(page, 'done');
  await page.getByTestId('node-label').fill('Finished');
  await expect(page.getByText('v1 · unpublished changes')).toBeVisible();
  await page.getByTestId('open-history').click();
  const history = page.getByTestId('version-history');
  await expect(history.getByTestId('version-item')).toHaveCount(1);
  await expect(history.locator('.react-flow__node')).toHaveCount(3);
  await history.getByRole('radio', { name: 'Compare with draft' }).click();
  await expect(history.getByTestId('diff-summary')).toContainText('1 node changed (done)');
  await expect(history.locator('.react-flow__node[data-id="done"] [data-mark="changed"]')).toBeVisible();
  await history.getByTestId('restore-version').click();
  await expect(history).toBeHidden();
  await expect(node(page, 'done').getByTestId('node-title')).toHaveText('Done');
  await expect(page.getByText('v1 published')).toBeVisible();
});

test('copy nodes from one workflow and paste them into another', async ({ page }) => {
  await createWorkflow(page, `Source ${randomUUID().slice(0, 6)}`, 'Legal case analysis');
  await node(page, 'case-law').click();
  await node(page, 'precedent').click({ modifiers: ['ControlOrMeta'] });
  await expect(page.getByTestId('multi-inspector')).toContainText('2 nodes');
  await page.keyboard.press('ControlOrMeta+c');
  await expect(page.getByTestId('toast').filter({ hasText: 'Copied 2 nodes' })).toBeVisible();

  await createWorkflow(page, `Target ${randomUUID().slice(0, 6)}`);
  await clickPane(page);
  await page.keyboard.press('ControlOrMeta+v');
  await expect(nodes(page)).toHaveCount(2);
  await expect(node(page, 'case-law')).toBeVisible();
  await expect(node(page, 'precedent')).toBeVisible();
  await expect(page.locator('.react-flow__node.selected')).toHaveCount(2);
  // Pasting again (from the menu) gives the copies fresh ids.
  await page.getByTestId('more-menu').click();
  await page.getByTestId('menu-paste').click();
  await expect(nodes(page)).toHaveCount(4);
  await expect(node(page, 'case-law-1')).toBeVisible();
  await expect(node(page, 'precedent-1')).toBeVisible();
  await clickPane(page);
  await page.keyboard.press('ControlOrMeta+z');
  await page.keyboard.press('ControlOrMeta+z');
  await expect(nodes(page)).toHaveCount(0);
});

test("a second tab's conflicting save is reported, and no work is lost", async ({ page, context }) => {
  const id = await createWorkflow(page, `Two tabs ${randomUUID().slice(0, 6)}`);
  await page.getByTestId('palette-trigger').click();
  await expect(node(page, 'trigger-1')).toBeVisible();
  await waitSaved(page);

  const other = await context.newPage();
  await other.goto(`/workflows/${id}`);
  await expect(node(other, 'trigger-1')).toBeVisible();
  await other.getByTestId('palette-delay').click();
  await expect(node(other, 'delay-1')).toBeVisible();
  await waitSaved(other);

  // This tab edited the revision before the other tab's save.
  await clickPane(page);
  await page.getByTestId('palette-end').click();
  await expect(page.getByTestId('draft-conflict')).toBeVisible();
  await expect(page.getByTestId('draft-conflict')).toContainText('changed elsewhere');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'conflict');
  await expect(node(page, 'end-1')).toBeVisible();

  // Load theirs: the other tab's draft; undo brings this tab's work back; keep mine saves it.
  await page.getByTestId('conflict-load-theirs').click();
  await expect(node(page, 'delay-1')).toBeVisible();
  await expect(node(page, 'end-1')).toHaveCount(0);
  await clickPane(page);
  await page.keyboard.press('ControlOrMeta+z');
  await expect(node(page, 'end-1')).toBeVisible();
  await waitSaved(page);
  await other.reload();
  await expect(node(other, 'end-1')).toBeVisible();
  await expect(node(other, 'delay-1')).toHaveCount(0);
});

test('the keyboard alone adds and connects steps; the shortcuts are listed', async ({ page }) => {
  await createWorkflow(page, `Keyboard ${randomUUID().slice(0, 6)}`);
  await clickPane(page);
  await page.keyboard.press('/');
  const menu = page.getByTestId('add-node-menu');
  await expect(menu.getByRole('combobox', { name: 'Search steps' })).toBeFocused();
  await page.keyboard.type('trig');
  await page.keyboard.press('Enter');
  await expect(node(page, 'trigger-1')).toHaveClass(/selected/);
  // With one step selected, the next one is added after it and connected.
  await page.keyboard.press('ControlOrMeta+k');
  await page.keyboard.type('agent');
  await page.keyboard.press('Enter');
  await expect(node(page, 'agent-1')).toHaveClass(/selected/);
  await page.keyboard.press('/');
  await page.keyboard.type('e');
  await page.keyboard.press('ArrowDown');
  await expect(menu.getByRole('option', { selected: true })).toContainText(/./);
  await page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(edges(page)).toHaveCount(1);
  await page.keyboard.press('Shift+?');
  await expect(page.getByTestId('shortcuts-help')).toContainText('Add a step');
  await expect(page.getByTestId('shortcuts-help')).toContainText('Undo');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcuts-help')).toBeHidden();
  await page.keyboard.press('Delete');
  await expect(node(page, 'agent-1')).toHaveCount(0);
  await expect(edges(page)).toHaveCount(0);
  await page.keyboard.press('ControlOrMeta+z');
  await expect(edges(page)).toHaveCount(1);
});
