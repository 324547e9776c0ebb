/**
 * Shared e2e helpers: publishing through the public API with the run's API key (set up in
 * playwright.config.ts), signing a new person in, and locating timeline rows.
 */
import { randomBytes } from 'node:crypto';
import { expect, type APIRequestContext, type Browser, type Locator, type Page } from '@playwright/test';
import { z } from 'zod';

const Published = z.object({ seq: z.number().int().positive(), id: z.string() });

function apiKey(): string {
  const key = process.env.SPINE_E2E_API_KEY;
  if (!key) throw new Error('SPINE_E2E_API_KEY is not set; run the tests through playwright.config.ts');
  return key;
}

/** Headers that authenticate a request to the public API with the run's admin API key. */
export function apiHeaders(): Record<string, string> {
  return { authorization: `Bearer ${apiKey()}` };
}

/** POST /api/v1/events; returns the committed seq and id. */
export async function publish(request: APIRequestContext, event: { type: string; key?: string; payload?: unknown }) {
  const res = await request.post('/api/v1/events', { data: event, headers: { authorization: `Bearer ${apiKey()}` } });
  expect(res.status(), await res.text()).toBe(201);
  return Published.parse(await res.json());
}

/** The timeline row of one event. */
export function eventRow(page: Page, seq: number): Locator {
  return page.locator(`[data-testid="event-row"][data-seq="${seq}"]`);
}

/**
 * A new person with these roles (made with the admin key), signed in in a browser context of their own,
 * on `next`. Each gets its own client address, so sign-in limits of other tests do not apply.
 */
export async function signedInAs(browser: Browser, roles: string[], next: string): Promise<Page> {
  const tag = randomBytes(4).toString('hex');
  const password = 'e2e-password-123';
  const person = { email: `${roles[0]}-${tag}@e2e.spine`, name: `${roles[0]} ${tag}`, password, roles };
  const context = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': `203.0.113.${1 + (randomBytes(1)[0]! % 250)}` } });
  const res = await context.request.post('/api/trpc/admin.users.create', { data: person, headers: apiHeaders() });
  expect(res.status(), await res.text()).toBe(200);
  const page = await context.newPage();
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(next);
  return page;
}

/** Creates a workflow from the list page (blank or from a template) and opens it in the designer; its id. */
export async function createWorkflow(page: Page, name: string, template?: string): Promise<string> {
  await page.goto('/workflows');
  await page.getByTestId('new-workflow').click();
  const dialog = page.getByTestId('new-workflow-dialog');
  if (template) await dialog.getByRole('radio', { name: new RegExp(template) }).check();
  await dialog.getByTestId('new-workflow-name').fill(name);
  await dialog.getByTestId('create-workflow').click();
  await expect(page).toHaveURL(/\/workflows\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('workflow-name')).toHaveText(name);
  return page.url().split('/').pop()!;
}
