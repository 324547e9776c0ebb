import { randomUUID } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { eventRow, publish } from './fixtures';

async function openLiveTimeline(page: Page) {
  await page.goto('/timeline');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
}

test('a published event is pushed to the open timeline within a second, newest on top', async ({ page, request }) => {
  await openLiveTimeline(page);

  const marker = randomUUID();
  const postedAt = Date.now();
  const first = await publish(request, { type: 'e2e.published', key: 'e2e:1', payload: { marker } });
  await expect(eventRow(page, first.seq)).toBeVisible({ timeout: Math.max(1, 1000 - (Date.now() - postedAt)) });
  await expect(eventRow(page, first.seq)).toContainText('e2e.published');
  await expect(eventRow(page, first.seq)).toContainText('e2e:1');
  await expect(eventRow(page, first.seq)).toContainText(marker);

  const second = await publish(request, { type: 'e2e.published', key: 'e2e:1', payload: { marker: randomUUID() } });
  await expect(eventRow(page, second.seq)).toBeVisible();
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
  const { seq } = await publish(request, {
    type: 'e2e.published',
    key: 'e2e:1',
    payload: { marker: html, note: '<script>alert(2)</script>' },
  });
  const pushed = eventRow(page, seq);
  await expect(pushed.getByTestId('event-payload')).toContainText(html);
  await pushed.getByRole('button', { expanded: false }).click();
  await expect(pushed.locator('pre')).toContainText(`"marker": "${html}"`);

  // Also when the row comes from the first read rather than the push.
  await page.reload();
  await expect(eventRow(page, seq).getByTestId('event-payload')).toContainText(html);

  await expect(page.getByTestId('live-events').locator('img, script')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});
