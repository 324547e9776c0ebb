/**
 * People, keys and hardening in the browser: sign-in errors and the sign-in rate limit as shown to people,
 * an admin managing people and API keys through /settings (a key's secret shown once, working within its
 * scopes, then revoked), changing one's own password, security headers on every kind of response, and a
 * Content-Security-Policy that the real pages run under without a single violation and that forbids framing.
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

async function createPerson(request: APIRequestContext, roles: string[], tag: string): Promise<Person> {
  const person = { email: `${roles.join('-') || 'nobody'}-${tag}@e2e.spine`, name: `Person ${tag}`, password: PASSWORD, roles };
  const res = await request.post('/api/trpc/admin.users.create', { data: person, headers: { authorization: `Bearer ${adminKey()}` } });
  expect(res.status(), await res.text()).toBe(200);
  return person;
}

/**
 * A fresh context with its own client address: the sign-in limit counts failures per address, so tests
 * that fail on purpose never lock out the others running against the same server. It replaces the
 * config's headers (the admin key): this is a person's browser, authenticated only by its cookie.
 */
async function freshPage(browser: Browser): Promise<Page> {
  const ip = `198.51.100.${1 + (randomBytes(1)[0]! % 250)}-${randomBytes(3).toString('hex')}`;
  const context = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': ip } });
  return context.newPage();
}

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/auth/sign-in'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  return answered;
}

async function signedIn(browser: Browser, person: Pick<Person, 'email' | 'password'>, next: string): Promise<Page> {
  const page = await freshPage(browser);
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await signIn(page, person.email, person.password);
  await expect(page).toHaveURL(next);
  return page;
}

test('wrong credentials are told apart from the rate limit, and a correct sign-in lands on next', async ({ browser, request }) => {
  const tag = randomBytes(4).toString('hex');
  const person = await createPerson(request, ['auditor'], tag);
  const page = await freshPage(browser);
  await page.goto('/sign-in?next=%2Fsettings');

  for (let attempt = 1; attempt <= 5; attempt++) {
    expect((await signIn(page, person.email, 'not-the-password')).status()).toBe(401);
    await expect(page.getByTestId('sign-in-error')).toHaveAttribute('data-code', 'auth.invalid_credentials');
    await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong email or password');
  }
  // The sixth failure in a minute is refused before the password is even checked; so is the right password.
  expect((await signIn(page, person.email, PASSWORD)).status()).toBe(429);
  await expect(page.getByTestId('sign-in-error')).toHaveAttribute('data-code', 'auth.rate_limited');
  await expect(page.getByTestId('sign-in-error')).toContainText(/Too many failed sign-ins; try again in \d+ s/);
  await expect(page).toHaveURL(/\/sign-in/);

  // Another person from another address is not affected.
  const other = await createPerson(request, ['auditor'], `${tag}b`);
  const fine = await signedIn(browser, other, '/settings');
  await expect(fine.getByTestId('user-name')).toHaveText(other.name);
  await page.context().close();
  await fine.context().close();
});

test('an admin creates a person, changes their roles and disables them through Settings', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const tag = randomBytes(4).toString('hex');
  const admin = await createPerson(request, ['admin'], tag);
  const page = await signedIn(browser, admin, '/settings');
  await expect(page.getByTestId('admin-users')).toBeVisible();

  const email = `nina-${tag}@e2e.spine`;
  const form = page.getByRole('form', { name: 'Create user' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Name').fill(`Nina ${tag}`);
  await form.getByLabel('Initial password').fill('nina-initial-pass');
  await form.getByRole('checkbox', { name: /^approver/ }).check();
  await form.getByRole('checkbox', { name: /^auditor/ }).check();
  await form.getByRole('button', { name: 'Create user' }).click();
  const row = page.locator(`[data-testid="user-row"][data-email="${email}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByRole('checkbox', { name: 'approver' })).toBeChecked();
  await expect(row.getByRole('checkbox', { name: 'auditor' })).toBeChecked();

  // The same email again is refused with the server's words.
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Name').fill('Someone else');
  await form.getByLabel('Initial password').fill('another-initial-pass');
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('create-user-error')).toHaveAttribute('data-code', 'user.exists');

  const nina = await signedIn(browser, { email, password: 'nina-initial-pass' }, '/approvals');
  await expect(nina.getByTestId('user-roles')).toContainText('approver');
  await expect(nina.getByTestId('user-roles')).toContainText('auditor');

  await row.getByRole('checkbox', { name: 'auditor' }).uncheck();
  await row.getByRole('button', { name: 'Save roles' }).click();
  await expect(row.getByRole('button', { name: 'Save roles' })).toHaveCount(0);
  await nina.reload();
  await expect(nina.getByTestId('user-roles')).toHaveText('approver');

  // Disabled: their session ends and they cannot sign in again. An admin cannot disable themselves.
  await row.getByRole('button', { name: 'Disable' }).click();
  await expect(row.getByText('disabled')).toBeVisible();
  const me = await nina.request.get('/api/auth/me');
  expect(me.status()).toBe(401);
  const again = await freshPage(browser);
  await again.goto('/sign-in');
  expect((await signIn(again, email, 'nina-initial-pass')).status()).toBe(401);
  await expect(page.locator(`[data-testid="user-row"][data-email="${admin.email}"]`).getByRole('button', { name: 'Disable' })).toBeDisabled();

  for (const p of [page, nina, again]) await p.context().close();
});

test('an API key is shown once, works within its scopes, shows when it was last used, and stops working when revoked', async ({ browser, request }) => {
  const tag = randomBytes(4).toString('hex');
  const admin = await createPerson(request, ['admin'], tag);
  const page = await signedIn(browser, admin, '/settings');
  await page.context().grantPermissions(['clipboard-write']);

  const name = `e2e bot ${tag}`;
  await page.getByLabel('Key name').fill(name);
  await page.getByLabel('May publish').fill('e2e.people.*');
  await page.getByLabel('May read and subscribe to').fill('e2e.people.*');
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-key-secret');
  await expect(shown).toContainText(name);
  const secret = (await page.getByTestId('new-key-value').textContent())!.trim();
  expect(secret).toMatch(/^spk_/);
  await shown.getByRole('button', { name: 'Copy' }).click();
  await expect(shown.getByRole('button', { name: 'Copied' })).toBeVisible();

  const row = page.locator(`[data-testid="key-row"][data-name="${name}"]`);
  await expect(row).toContainText(`${secret.slice(0, 10)}…`);
  await expect(row.getByTestId('key-last-used')).toHaveText('never');
  await expect(row).toContainText('publish: e2e.people.*');
  await expect(row).toContainText('no runs · roles: none');

  const bearer = { authorization: `Bearer ${secret}` };
  expect((await request.post('/api/v1/events', { data: { type: 'e2e.people.hello', payload: {} }, headers: bearer })).status()).toBe(201);
  expect((await request.post('/api/v1/events', { data: { type: 'other.thing', payload: {} }, headers: bearer })).status()).toBe(403);
  expect((await request.post('/api/v1/workflows/procurement/runs', { data: { input: { amount: 1 } }, headers: bearer })).status()).toBe(403);

  // Shown once: after a reload only the prefix is left; the first use is recorded.
  await page.reload();
  await expect(page.getByTestId('new-key-secret')).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  await expect(row.getByTestId('key-last-used')).not.toHaveText('never');

  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Confirm revoke' }).click();
  await expect(row).toHaveAttribute('data-state', 'revoked');
  expect((await request.post('/api/v1/events', { data: { type: 'e2e.people.hello', payload: {} }, headers: bearer })).status()).toBe(401);
  await page.context().close();
});

test('a person changes their own password and signs in again with the new one', async ({ browser, request }) => {
  const tag = randomBytes(4).toString('hex');
  const person = await createPerson(request, ['operator'], tag);
  const page = await signedIn(browser, person, '/settings');
  const form = page.getByRole('form', { name: 'Change password' });

  await form.getByLabel('Current password').fill('not-my-password');
  await form.getByLabel('New password', { exact: true }).fill('a-brand-new-password');
  await form.getByLabel('Repeat new password').fill('a-brand-new-password');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByTestId('password-error')).toHaveAttribute('data-code', 'auth.invalid_credentials');
  await expect(page).toHaveURL('/settings');

  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page).toHaveURL('/sign-in?passwordChanged=1');
  await expect(page.getByRole('status')).toHaveText('Your password was changed. Sign in with the new one.');
  expect((await signIn(page, person.email, PASSWORD)).status()).toBe(401);
  expect((await signIn(page, person.email, 'a-brand-new-password')).status()).toBe(200);
  await expect(page).toHaveURL('/');
  await expect(page.getByTestId('user-name')).toHaveText(person.name);
  await page.context().close();
});

test('a page whose data needs a session sends a visitor to sign in, then back', async ({ browser, request }) => {
  const page = await freshPage(browser);
  expect(await (await page.request.get('/api/trpc/session.me')).json()).toMatchObject({ result: { data: null } });
  const tag = randomBytes(4).toString('hex');
  const person = await createPerson(request, ['approver'], tag);
  await page.goto('/approvals');
  await expect(page).toHaveURL('/sign-in?next=%2Fapprovals');
  await signIn(page, person.email, person.password);
  await expect(page).toHaveURL('/approvals');
  await expect(page.getByTestId('user-name')).toHaveText(person.name);
  await page.context().close();
});

test('every response carries the security headers', async ({ request }) => {
  for (const path of ['/', '/sign-in', '/approvals', '/api/v1/openapi.json', '/api/trpc/session.me', '/api/auth/me']) {
    const res = await request.get(path);
    const h = res.headers();
    expect(h['content-security-policy'], path).toContain("frame-ancestors 'none'");
    expect(h['content-security-policy'], path).toContain("object-src 'none'");
    expect(h['content-security-policy'], path).toMatch(/script-src 'self' 'unsafe-inline'(;|$)/);
    expect(h['x-content-type-options'], path).toBe('nosniff');
    expect(h['x-frame-options'], path).toBe('DENY');
    expect(h['referrer-policy'], path).toBe('same-origin');
    expect(h['permissions-policy'], path).toContain('camera=()');
    expect(h['x-powered-by'], path).toBeUndefined();
  }
});

test('the pages run under the Content-Security-Policy without a violation or a script error, and refuse to be framed', async ({ browser, request, baseURL }) => {
  test.setTimeout(90_000);
  const tag = randomBytes(4).toString('hex');
  const admin = await createPerson(request, ['admin'], tag);
  // A run that stays open (it waits for an approval): its page and the run list show durations that grow,
  // which must still hydrate without a mismatch between the server's text and the browser's.
  const started = await request.post('/api/v1/workflows/procurement/runs', { data: { input: { amount: 25_000, quantity: 2 }, intent: `Open run ${tag}` } });
  expect(started.status(), await started.text()).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  const page = await freshPage(browser);
  const violations: string[] = [];
  // A hydration mismatch is a page error in a production build (React #418/#423/#425).
  const scriptErrors: string[] = [];
  page.on('pageerror', (e) => scriptErrors.push(`${page.url()}: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolations: string[] }).__cspViolations ??= [];
      (window as unknown as { __cspViolations: string[] }).__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto('/sign-in?next=%2Fsettings');
  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL('/settings');
  for (const path of ['/', '/timeline', '/runs', `/runs/${runId}`, '/workflows', '/workflows/procurement', '/approvals', '/audit', '/settings']) {
    await page.goto(path);
    await expect(page.getByTestId('user-name')).toHaveText(admin.name);
    await expect(page.locator('main')).not.toBeEmpty();
    violations.push(...((await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])) as string[]));
  }
  // The theme script is inline and must have run: the html element carries the theme class it sets.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.reload();
  await expect(page.locator('html')).toHaveClass(/dark/);
  expect(violations).toEqual([]);
  expect(scriptErrors).toEqual([]);

  // Framed by another page, Spine refuses to render.
  const framer = await (await browser.newContext({ extraHTTPHeaders: {} })).newPage();
  const refusals: string[] = [];
  framer.on('console', (m) => {
    if (m.text().includes("frame-ancestors 'none'")) refusals.push(m.text());
  });
  // setContent waits for the load event, which waits for the frame to load or fail.
  await framer.setContent(`<iframe id="f" src="${baseURL}/sign-in" width="600" height="400"></iframe>`);
  await expect.poll(() => refusals.length).toBeGreaterThan(0);
  expect(framer.frames().find((f) => f !== framer.mainFrame())?.url()).toMatch(/^chrome-error:/);
  await expect(framer.frameLocator('#f').getByRole('heading', { name: 'Sign in to Spine' })).toHaveCount(0);
  await framer.context().close();
  await page.context().close();
});
