import { randomUUID } from 'node:crypto';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { z } from 'zod';

const Published = z.object({ seq: z.number().int().positive(), id: z.string() });

async function publish(request: APIRequestContext, payload: Record<string, string>) {
  const res = await request.post('/api/v1/events', { data: { type: 'e2e.published', key: 'e2e:1', payload } });
  expect(res.status()).toBe(201);
  return Published.parse(await res.json());
}

async function openLiveTimeline(page: Page) {
  await page.goto('/');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
}

const row = (page: Page, seq: number) => page.locator(`[data-testid="event-row"][data-seq="${seq}"]`);

test('a published event is pushed to the open timeline within a second, newest on top', async ({ page, request }) => {
  await openLiveTimeline(page);

  const marker = randomUUID();
  const postedAt = Date.now();
  const first = await publish(request, { marker });
  await expect(row(page, first.seq)).toBeVisible({ timeout: Math.max(1, 1000 - (Date.now() - postedAt)) });
  await expect(row(page, first.seq)).toContainText('e2e.published');
  await expect(row(page, first.seq)).toContainText('e2e:1');
  await expect(row(page, first.seq)).toContainText(marker);

  const second = await publish(request, { marker: randomUUID() });
  await expect(row(page, second.seq)).toBeVisible();
  const shown = await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
  expect(shown.indexOf(second.seq)).toBeLessThan(shown.indexOf(first.seq));
  expect(shown).toEqual([...new Set(shown)].sort((a, b) => b - a));
});

test('a payload is shown as text, never as HTML', async ({ page, request }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await openLiveTimeline(page);

  const html = '<img src=x onerror=alert(1)>';
  const { seq } = await publish(request, { marker: html, note: '<script>alert(2)</script>' });
  const pushed = row(page, seq);
  await expect(pushed.getByTestId('event-payload')).toContainText(html);
  await pushed.getByRole('button', { expanded: false }).click();
  await expect(pushed.locator('pre')).toContainText(`"marker": "${html}"`);

  // Also when the row comes from the first read rather than the push.
  await page.reload();
  await expect(row(page, seq).getByTestId('event-payload')).toContainText(html);

  const list = page.getByTestId('live-events');
  await expect(list.locator('img, script')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});
