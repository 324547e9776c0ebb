/**
 * One trace per run: a run started through the API with a caller's `traceparent` shows that trace id on
 * its page, copyable; a run started without one shows a trace id of its own. The default `request` and
 * `page` act as an admin through the run's API key (playwright.config.ts).
 */
import { expect, test } from '@playwright/test';

test("the run page shows the run's trace id: the caller's when it sent a traceparent, copyable", async ({ page, request, context }) => {
  const traceId = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const res = await request.post('/api/v1/workflows/procurement/runs', {
    data: { input: { amount: 700, quantity: 1 }, intent: 'Buy a monitor (traced)' },
    headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  });
  expect(res.status(), await res.text()).toBe(202);
  const { runId } = (await res.json()) as { runId: string };

  // What the page copies (the app's permissions policy blocks reading the clipboard back).
  await context.grantPermissions(['clipboard-write']);
  await page.addInitScript(() => {
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (text: string) => {
      (window as unknown as { copied?: string }).copied = text;
      return write(text);
    };
  });
  await page.goto(`/runs/${runId}`);
  const shown = page.getByTestId('run-trace-id');
  await expect(shown).toHaveText(traceId);
  await page.getByRole('button', { name: 'Copy the trace id' }).click();
  await expect(page.getByRole('button', { name: 'Copy the trace id' })).toHaveText('Copied');
  expect(await page.evaluate(() => (window as unknown as { copied?: string }).copied)).toBe(traceId);

  const plain = await request.post('/api/v1/workflows/procurement/runs', { data: { input: { amount: 700, quantity: 1 } } });
  const other = ((await plain.json()) as { runId: string }).runId;
  await page.goto(`/runs/${other}`);
  await expect(page.getByTestId('run-trace-id')).toHaveText(/^[0-9a-f]{32}$/);
  await expect(page.getByTestId('run-trace-id')).not.toHaveText(traceId);
});
