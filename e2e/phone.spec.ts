/**
 * Every page at a phone's width (the `phone` project of playwright.config.ts: 375 × 812, touch): nothing
 * scrolls sideways (wide tables scroll inside their card), the sections are one Menu button away, and a
 * signed-out visit lands on a usable sign-in page.
 */
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';

async function startRun(request: APIRequestContext, workflow: string, body: Record<string, unknown>): Promise<string> {
  const res = await request.post(`/api/v1/workflows/${workflow}/runs`, { data: body });
  expect(res.status(), await res.text()).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

/** How far the page scrolls sideways, in CSS px (0 when it fits the viewport). */
async function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** What sticks out past the right edge, for the failure message. */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 1 && r.width > 0) {
        let clipped = false;
        for (let p = el.parentElement; p; p = p.parentElement) {
          const s = getComputedStyle(p);
          if (s.overflowX !== 'visible' && p.getBoundingClientRect().right <= w + 1) clipped = true;
        }
        if (!clipped) out.push(`${el.tagName.toLowerCase()}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''}.${String(el.className).slice(0, 60)} → ${Math.round(r.right)}px`);
      }
      if (out.length >= 8) break;
    }
    return out;
  });
}

test('every page fits a 375 px phone: no sideways scroll, and the sections are behind a Menu button', async ({ page, request }) => {
  test.setTimeout(120_000);
  const runId = await startRun(request, 'legal-case-analysis', { input: { facts: 'GDPR breach at a subsidiary' }, intent: 'Assess on a phone' });
  await page.goto(`/runs/${runId}`);
  await expect(page.locator('[data-testid="node-row"][data-node-id="summarizer"]')).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
  const pathHref = await page.getByRole('link', { name: 'Reasoning path', exact: true }).getAttribute('href');
  const editorHref = await page.getByTestId('run-workflow').getAttribute('href');

  const pages = ['/', '/timeline', '/runs', `/runs/${runId}`, `/runs/compare?a=${runId}&b=${runId}`, pathHref!, '/workflows', editorHref!, '/agents', '/schemas', '/approvals', '/audit', '/settings', '/nope'];
  for (const path of pages) {
    await page.goto(path);
    await expect(page.locator('main')).toBeVisible();
    // Let what the page loads after its first paint arrive (skeletons give way to tables).
    await expect(page.getByTestId('page-loading')).toHaveCount(0);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    const scroll = await sidewaysScroll(page);
    expect.soft(scroll, `${path} scrolls sideways by ${scroll}px: ${(await overflowing(page)).join('; ')}`).toBeLessThanOrEqual(0);
  }

  // The header: the Menu button opens the sections; choosing one goes there and closes the menu.
  await page.goto('/');
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
  await page.getByTestId('nav-menu-button').click();
  const menu = page.getByTestId('mobile-nav');
  await expect(menu.getByRole('link')).toHaveCount(9);
  await menu.getByRole('link', { name: 'Timeline' }).click();
  await expect(page).toHaveURL(/\/timeline$/);
  await expect(menu).toBeHidden();
  await expect(page.getByTestId('nav-menu-button')).toHaveAttribute('aria-expanded', 'false');
});

test('signed out on a phone: the sign-in page fits, with no query refused first', async ({ browser }) => {
  const context = await browser.newContext({ extraHTTPHeaders: {}, viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const refused: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 401) refused.push(r.url());
  });
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByLabel('Email')).toBeVisible();
  expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
  expect(refused).toEqual([]);
  await context.close();
});
