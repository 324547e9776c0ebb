/**
 * Shared e2e helpers: publishing through the public API with the run's API key (set up in
 * playwright.config.ts), and locating timeline rows.
 */
import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
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
