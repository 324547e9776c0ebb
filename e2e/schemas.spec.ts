/**
 * Event contracts in Chromium: an architect registers a JSON Schema for an event type on /schemas (text
 * that is not JSON is an error under the field, nothing registered), sees it listed; publishing an event of
 * that type that breaks it is refused with the path of the violation, a valid one is appended; a second
 * version shows in the version picker; an auditor reads the page without the form.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { apiHeaders, signedInAs } from './fixtures';

test('an architect registers an event schema; publishing is then validated against it', async ({ browser, request }) => {
  const type = `e2e.order${randomBytes(3).toString('hex')}.placed`;
  const page = await signedInAs(browser, ['architect'], '/schemas');
  await page.getByTestId('add-schema').click();
  await page.getByLabel('Event type').fill(type);
  await page.getByLabel('JSON Schema').fill('{ "type": "object", ');
  await page.getByTestId('schema-submit').click();
  await expect(page.getByTestId('schema-form')).toContainText('Not JSON');
  await page.getByLabel('JSON Schema').fill(JSON.stringify({ type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } }));
  await page.getByLabel('Description').fill('An order as the shop publishes it');
  await page.getByTestId('schema-submit').click();
  const row = page.locator(`[data-testid="schema-row"][data-type="${type}"]`);
  await expect(row).toContainText('v1');
  await expect(page.getByTestId('schema-detail')).toHaveAttribute('data-type', type);
  await expect(page.getByTestId('schema-json')).toContainText('"amount"');

  const bad = await request.post('/api/v1/events', { data: { type, payload: { amount: 'a lot' } }, headers: apiHeaders() });
  expect(bad.status()).toBe(400);
  expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'event.schema_violation', message: expect.stringContaining('payload.amount must be number') });
  const ok = await request.post('/api/v1/events', { data: { type, payload: { amount: 3 } }, headers: apiHeaders() });
  expect(ok.status()).toBe(201);

  // A new version: the picker lists both, newest first.
  await page.getByTestId('edit-schema').click();
  await page.getByLabel('JSON Schema').fill(JSON.stringify({ type: 'object', required: ['amount'], properties: { amount: { type: 'number' }, note: { type: 'string' } } }));
  await page.getByTestId('schema-submit').click();
  await expect(row).toContainText('v2');
  await expect(page.getByLabel('Schema version').locator('option')).toHaveCount(2);

  const auditor = await signedInAs(browser, ['auditor'], '/schemas');
  await expect(auditor.locator(`[data-testid="schema-row"][data-type="${type}"]`)).toBeVisible();
  await expect(auditor.getByTestId('add-schema')).toHaveCount(0);
});
