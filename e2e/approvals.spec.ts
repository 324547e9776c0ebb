/**
 * The approvals flow with real people in real browsers: an operator starts a large procurement run; an
 * approver, in a second browser context, sees each of its two approvals arrive live and approves the first
 * with a comment; the second (over 10,000) is a four-eyes gate, so the same approver is refused (403
 * `approval.four_eyes`) and a colleague approves it; an auditor watching the same inbox sees the decisions
 * land live and can decide nothing (no buttons, and the API answers 403). The run completes, and the
 * decisions with the approvers' names are in the run's events (API and run page) and in the audit export.
 * With 160 pending approvals the inbox loads a page of cards without a 4xx, "Load more" brings the next,
 * and its filters narrow the list.
 *
 * People are created through the admin API with the run's admin key (SPINE_E2E_API_KEY), with unique
 * emails, so tests in parallel never share an account.
 */
import { randomBytes } from 'node:crypto';
import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';

const PASSWORD = 'e2e-password-123';
type Person = { email: string; name: string; password: string; roles: string[] };

function adminKey(): string {
  const key = process.env.SPINE_E2E_API_KEY;
  if (!key) throw new Error('SPINE_E2E_API_KEY is not set; run the tests through playwright.config.ts');
  return key;
}

/** A new person with one role, created with the admin key through `admin.users.create`. */
async function createPerson(request: APIRequestContext, role: string, tag: string): Promise<Person> {
  const person = { email: `${role}-${tag}@e2e.spine`, name: `${role[0]!.toUpperCase()}${role.slice(1)} ${tag}`, password: PASSWORD, roles: [role] };
  const res = await request.post('/api/trpc/admin.users.create', { data: person, headers: { authorization: `Bearer ${adminKey()}` } });
  expect(res.status(), await res.text()).toBe(200);
  return person;
}

/** A fresh browser context signed in as `person` through the sign-in page, landing on `next`. */
async function signIn(browser: Browser, person: Person, next: string): Promise<Page> {
  // No headers from the config: this context is this person's browser, authenticated by its own cookie.
  const context = await browser.newContext({ extraHTTPHeaders: {} });
  const page = await context.newPage();
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(next);
  await expect(page.getByTestId('user-name')).toHaveText(person.name);
  for (const role of person.roles) await expect(page.getByTestId('user-roles')).toContainText(role);
  return page;
}

/** The inbox has read its list and its live stream is connected. */
async function openInbox(page: Page) {
  await expect(page.getByTestId('approvals-inbox')).toHaveAttribute('data-loaded', 'true');
  await expect(page.getByTestId('approvals-live')).toHaveAttribute('data-state', 'live');
}

const card = (page: Page, approvalId: string) => page.locator(`[data-testid="approval-card"][data-approval-id="${approvalId}"]`);

type RunEvent = { type: string; source: { name: string }; payload: Record<string, unknown> };

test('a large purchase: two approvals arrive live, are approved with comments by two different people (four eyes), the run completes; the auditor watches and can change nothing', async ({ browser, request, baseURL }) => {
  // Four people in four browsers and a run through five agents and two approvals: longer than most tests.
  test.setTimeout(180_000);
  const tag = randomBytes(4).toString('hex');
  const [operator, approver, auditor, colleague] = await Promise.all([
    createPerson(request, 'operator', tag), createPerson(request, 'approver', tag), createPerson(request, 'auditor', tag), createPerson(request, 'approver', `${tag}-2`),
  ]);

  const approverPage = await signIn(browser, approver, '/approvals');
  const auditorPage = await signIn(browser, auditor, '/approvals');
  const operatorPage = await signIn(browser, operator, '/');
  const colleaguePage = await signIn(browser, colleague, '/approvals');
  await openInbox(approverPage);
  await openInbox(auditorPage);
  await openInbox(colleaguePage);

  // The operator starts the run with their own session (the API's cookie path; same-origin as a browser would).
  const intent = `Buy 3 laptops for the new team <img src=x onerror="window.__pwned=1"> ${tag}`;
  const started = await operatorPage.request.post('/api/v1/workflows/procurement/runs', {
    data: { input: { amount: 12_000, quantity: 3 }, intent },
    headers: { origin: baseURL! },
  });
  expect(started.status(), await started.text()).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  const contract = `${runId}:contract-approval`;
  const extra = `${runId}:extra-approval`;

  // The first approval arrives in both open inboxes without a reload, with the context to decide it.
  const first = card(approverPage, contract);
  await expect(first).toHaveAttribute('data-state', 'pending');
  await expect(first.getByTestId('approval-intent')).toHaveText(intent);
  await expect(first.getByTestId('approval-path').getByTestId('path-step')).toHaveCount(1);
  await expect(first.getByTestId('approval-path')).toContainText('legal-review');
  await expect(first.getByTestId('approval-outcome-approved')).toContainText('Amount');
  await expect(first.getByTestId('approval-outcome-approved')).toContainText('Large purchase approval');
  await expect(first.getByTestId('approval-outcome-rejected')).toContainText('Contract rejected');
  await expect(first.getByTestId('approval-sla')).toHaveText('No deadline');
  await first.getByText('Envelope and input').click();
  await expect(first.getByTestId('approval-input')).toContainText('"amount": 12000');
  await expect(first.getByTestId('approval-envelope')).toContainText(`"intent": ${JSON.stringify(intent)}`);
  expect(await approverPage.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();

  // The auditor sees the same approval, read only, and the server refuses their decision either way.
  const watched = card(auditorPage, contract);
  await expect(watched.getByTestId('approval-readonly')).toHaveAttribute('data-reason', 'auth.forbidden');
  await expect(watched.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await expect(watched.getByRole('button', { name: 'Reject' })).toHaveCount(0);
  const viaApi = await auditorPage.request.post(`/api/v1/approvals/${encodeURIComponent(contract)}/decision`, { data: { decision: 'approve' }, headers: { origin: baseURL! } });
  expect(viaApi.status()).toBe(403);
  const viaTrpc = await auditorPage.request.post('/api/trpc/approvals.decide', { data: { approvalId: contract, decision: 'approve' }, headers: { origin: baseURL! } });
  expect(viaTrpc.status()).toBe(403);
  // Nor may the operator who started the run decide it.
  const byRequester = await operatorPage.request.post(`/api/v1/approvals/${encodeURIComponent(contract)}/decision`, { data: { decision: 'approve' }, headers: { origin: baseURL! } });
  expect(byRequester.status()).toBe(403);

  // The approver approves with a comment; the auditor's card turns into "approved by <approver>" live.
  await first.getByLabel(/Comment/).fill('Terms reviewed, fine.');
  await first.getByRole('button', { name: 'Approve' }).click();
  await expect(first).toHaveAttribute('data-state', 'approved');
  await expect(first.getByTestId('approval-closed-by')).toHaveText('Approved by you — “Terms reviewed, fine.”');
  await expect(watched).toHaveAttribute('data-state', 'approved');
  await expect(watched.getByTestId('approval-closed-by')).toHaveText(`Approved by ${approver.email} — “Terms reviewed, fine.”`);

  // The amount is over 10,000: the large-purchase approval arrives live, with the first decision in its path.
  await expect(card(approverPage, extra)).toHaveAttribute('data-state', 'pending');
  const second = card(colleaguePage, extra);
  await expect(second).toHaveAttribute('data-state', 'pending');
  await expect(second.getByTestId('approval-path')).toContainText(`approved by ${approver.email}`);
  await expect(second.getByTestId('approval-path')).toContainText('Over 10,000');
  await expect(second.getByTestId('approval-outcome-approved')).toContainText('Inventory check');
  await expect(card(auditorPage, extra).getByTestId('approval-readonly')).toBeVisible();
  // Four eyes: the person who approved the contract may not approve the large purchase too.
  const sameAgain = await approverPage.request.post(`/api/v1/approvals/${encodeURIComponent(extra)}/decision`, { data: { decision: 'approve' }, headers: { origin: baseURL! } });
  expect(sameAgain.status()).toBe(403);
  expect(await sameAgain.json()).toMatchObject({ error: { code: 'approval.four_eyes' } });
  // A second approver decides it.
  await second.getByLabel(/Comment/).fill('Budget confirmed.');
  await second.getByRole('button', { name: 'Approve' }).click();
  await expect(second).toHaveAttribute('data-state', 'approved');
  await expect(second.getByTestId('approval-closed-by')).toHaveText('Approved by you — “Budget confirmed.”');
  await expect(card(auditorPage, extra)).toHaveAttribute('data-state', 'approved');

  // The run goes on to inventory and payment, and completes. The auditor may read it.
  await expect.poll(async () => ((await (await auditorPage.request.get(`/api/v1/runs/${runId}`)).json()) as { status: string }).status, { timeout: 20_000 }).toBe('completed');
  const eventsRes = await auditorPage.request.get(`/api/v1/runs/${runId}/events`);
  expect(eventsRes.status()).toBe(200);
  const { events } = (await eventsRes.json()) as { events: RunEvent[] };
  expect(events.find((e) => e.type === 'run.started')?.source.name).toBe(operator.email);
  expect(events.filter((e) => e.type === 'approval.decided').map((e) => [e.payload.nodeId, e.payload.decision, e.payload.actor, e.source.name, e.payload.comment])).toEqual([
    ['contract-approval', 'approve', approver.email, approver.email, 'Terms reviewed, fine.'],
    ['extra-approval', 'approve', colleague.email, colleague.email, 'Budget confirmed.'],
  ]);

  // The run's page (the dashboard's), reached from the card, shows both decisions with the approvers' names.
  await card(auditorPage, extra).getByRole('link', { name: 'Open run' }).click();
  await expect(auditorPage).toHaveURL(`/runs/${runId}`, { timeout: 20_000 });
  const decidedRows = auditorPage.locator('[data-testid="run-event"][data-type="approval.decided"]');
  await expect(decidedRows).toHaveCount(2);
  await expect(decidedRows.filter({ hasText: approver.email })).toHaveCount(1);
  await expect(decidedRows.filter({ hasText: colleague.email })).toHaveCount(1);

  // The audit export carries the same decisions.
  const exported = await auditorPage.request.get(`/api/v1/audit/export?runId=${encodeURIComponent(runId)}&format=jsonl`);
  expect(exported.status(), await exported.text()).toBe(200);
  const text = await exported.text();
  const decided = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => JSON.stringify(r).includes('approval.decided'));
  expect(decided).toHaveLength(2);
  expect(decided.map((r) => JSON.stringify(r)).filter((r) => r.includes(colleague.email))).toHaveLength(1);
  expect(decided.map((r) => JSON.stringify(r)).filter((r) => r.includes(approver.email))).toHaveLength(1);

  for (const p of [approverPage, auditorPage, operatorPage, colleaguePage]) await p.context().close();
});

test('an auditor can read the inbox and settings but sees no admin sections; an operator is told the inbox is not theirs', async ({ browser, request }) => {
  const tag = randomBytes(4).toString('hex');
  const [auditor, operator] = await Promise.all([createPerson(request, 'auditor', tag), createPerson(request, 'operator', tag)]);

  const auditorPage = await signIn(browser, auditor, '/settings');
  await expect(auditorPage.getByTestId('account-roles')).toHaveText('auditor');
  await expect(auditorPage.getByRole('form', { name: 'Change password' })).toBeVisible();
  await expect(auditorPage.getByTestId('admin-users')).toHaveCount(0);
  await expect(auditorPage.getByTestId('admin-keys')).toHaveCount(0);
  // The admin procedures refuse them whatever the UI shows.
  const list = await auditorPage.request.get('/api/trpc/admin.users.list');
  expect(list.status()).toBe(403);

  const operatorPage = await signIn(browser, operator, '/approvals');
  await expect(operatorPage.getByTestId('approvals-not-allowed')).toBeVisible();
  const inbox = await operatorPage.request.get('/api/trpc/approvals.inbox');
  expect(inbox.status()).toBe(403);

  for (const p of [auditorPage, operatorPage]) await p.context().close();
});

test('160 pending approvals: the inbox loads a page without a 4xx, "Load more" brings the rest, filters narrow it', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const tag = randomBytes(4).toString('hex');
  const auth = { authorization: `Bearer ${adminKey()}` };
  // A workflow that only waits for an approval, created and published through the API.
  const trpc = async (proc: string, data: unknown) => {
    const res = await request.post(`/api/trpc/${proc}`, { data, headers: auth });
    expect(res.status(), await res.text()).toBe(200);
    return ((await res.json()) as { result: { data: any } }).result.data;
  };
  const wf = await trpc('workflows.create', {
    name: `Bulk gate ${tag}`,
    document: {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
        { id: 'bulk-gate', kind: 'approval', position: { x: 0, y: 120 }, config: { instructions: `Bulk ${tag}` } },
        { id: 'done', kind: 'end', position: { x: 0, y: 240 }, config: {} },
        { id: 'no', kind: 'end', position: { x: 200, y: 240 }, config: { outcome: 'failure' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'bulk-gate' },
        { id: 'e2', source: 'bulk-gate', target: 'done', sourceHandle: 'approved' },
        { id: 'e3', source: 'bulk-gate', target: 'no', sourceHandle: 'rejected' },
      ],
    },
  });
  await trpc('workflows.publish', { id: wf.id, summary: 'bulk' });
  const slug = wf.slug as string;
  for (let i = 0; i < 160; i += 20)
    await Promise.all(
      Array.from({ length: 20 }, async (_, j) => {
        const res = await request.post(`/api/v1/workflows/${slug}/runs`, { data: { input: {}, intent: `Bulk ${tag} #${i + j}` }, headers: auth });
        expect(res.status(), await res.text()).toBe(202);
      }),
    );
  await expect.poll(async () => ((await (await request.get(`/api/v1/approvals?workflow=${slug}&limit=1`, { headers: auth })).json()) as { total: number }).total, { timeout: 30_000 }).toBe(160);

  const approver = await createPerson(request, 'approver', tag);
  const failures: string[] = [];
  const page = await signIn(browser, approver, '/approvals');
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 400) failures.push(`${r.status()} ${r.url().slice(0, 200)}`);
  });
  await page.reload();
  await openInbox(page);
  const inbox = page.getByTestId('approvals-inbox');
  const cards = page.getByTestId('approval-card');
  // One page of cards, each with its detail loaded; at least our 160 are pending.
  await expect(cards).toHaveCount(25);
  expect(Number(await inbox.getAttribute('data-total'))).toBeGreaterThanOrEqual(160);
  await expect(cards.last().getByTestId('approval-outcome-approved')).toBeVisible();
  await page.getByTestId('approvals-load-more').click();
  await expect(cards).toHaveCount(50);
  await expect(cards.nth(49).getByTestId('approval-outcome-approved')).toBeVisible();

  // Only this workflow: 160, all of them after six more pages, each once.
  await page.getByTestId('approvals-filter-workflow').selectOption(slug);
  await expect(inbox).toHaveAttribute('data-total', '160');
  await expect(cards).toHaveCount(25);
  for (let shown = 25; shown < 160; shown += 25) {
    await page.getByTestId('approvals-load-more').click();
    await expect(cards).toHaveCount(Math.min(160, shown + 25));
  }
  await expect(page.getByTestId('approvals-load-more')).toHaveCount(0);
  const ids = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-approval-id')));
  expect(new Set(ids).size).toBe(160);
  await expect(cards.nth(159).getByTestId('approval-outcome-approved')).toBeVisible();

  // Search within it: one card.
  await page.getByTestId('approvals-search').fill(`#123`);
  await expect(inbox).toHaveAttribute('data-total', '1');
  await expect(cards).toHaveCount(1);
  await expect(cards.first().getByTestId('approval-intent')).toHaveText(`Bulk ${tag} #123`);
  // Older than a week: none of them.
  await page.getByTestId('approvals-search').fill('');
  await page.getByTestId('approvals-filter-age').selectOption({ label: 'Older than 1 week' });
  await expect(inbox).toHaveAttribute('data-total', '0');
  await expect(cards).toHaveCount(0);

  expect(failures).toEqual([]);
  await page.context().close();
});
