/**
 * Audit in the browser: a run exported as JSONL from the audit page verifies offline with
 * `npx spine-verify` and the published key; a row tampered in the database (its immutability trigger
 * dropped, as an attacker with database access would) is named by "verify integrity" and marked in the
 * timeline. The tampered row is restored afterwards so the other tests see an intact log. An auditor is
 * not offered "Sign a checkpoint now"; an admin is.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { eventRow, publish } from './fixtures';

test.describe.configure({ mode: 'serial' });

async function startRun(request: APIRequestContext, workflow: string, body: Record<string, unknown>): Promise<string> {
  const res = await request.post(`/api/v1/workflows/${workflow}/runs`, { data: body });
  expect(res.status(), await res.text()).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

/** An auditor (read-only role) signed in through the sign-in page in a browser of their own, on `next`. */
async function auditorPage(browser: Browser, request: APIRequestContext, next: string): Promise<Page> {
  const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const person = { email: `auditor-${tag}@e2e.spine`, name: `Auditor ${tag}`, password: 'e2e-password-123', roles: ['auditor'] };
  const created = await request.post('/api/trpc/admin.users.create', { data: person });
  expect(created.status(), await created.text()).toBe(200);
  // No headers from the config: this browser is the auditor's, authenticated by its own session cookie.
  const context = await browser.newContext({ extraHTTPHeaders: {}, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(next, { timeout: 15_000 });
  await expect(page.getByTestId('user-name')).toHaveText(person.name);
  return page;
}

function databaseFile(): string {
  const dir = process.env.SPINE_E2E_DB_DIR;
  if (!dir) throw new Error('SPINE_E2E_DB_DIR is not set; run the tests through playwright.config.ts');
  return path.join(dir, 'spine.db');
}

test('a run exported as JSONL from the audit page by an auditor verifies offline against the published key', async ({ browser, page, request }) => {
  test.setTimeout(90_000);
  const runId = await startRun(request, 'translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' }, intent: 'Translate the thanks' });
  await page.goto(`/runs/${runId}`);
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });

  const auditor = await auditorPage(browser, request, '/audit');
  await expect(auditor.getByTestId('key-id')).toHaveText(/^[0-9a-f]{16}$/);
  // An auditor changes nothing: signing a checkpoint by hand is not offered (the server refuses it too).
  await expect(auditor.getByTestId('checkpoints')).toBeVisible();
  await expect(auditor.getByRole('button', { name: 'Sign a checkpoint now' })).toHaveCount(0);
  await auditor.getByLabel('Run id').fill(runId);
  const [download] = await Promise.all([auditor.waitForEvent('download'), auditor.getByTestId('export-download').click()]);
  expect(download.suggestedFilename()).toBe(`spine-audit-run-${runId}.jsonl`);
  const dir = mkdtempSync(path.join(tmpdir(), 'spine-e2e-export-'));
  try {
    const file = path.join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const key = await auditor.request.get('/api/v1/audit/public-key');
    expect(key.status()).toBe(200);
    const keyFile = path.join(dir, 'audit-public-key.pem');
    writeFileSync(keyFile, await key.text());

    const out = execFileSync('npx', ['--no-install', 'spine-verify', file, '--pubkey', keyFile], { encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
    expect(out).toContain('VERIFIED');
    expect(out).toContain(`run ${runId}`);
    const verifier = path.resolve('scripts/spine-verify.mjs');
    const report = JSON.parse(execFileSync(process.execPath, [verifier, file, '--pubkey', keyFile, '--json'], { encoding: 'utf8' }));
    expect(report).toMatchObject({ ok: true, trusted: true, scope: { kind: 'run', runId } });
    expect(report.events).toBeGreaterThan(5);
    expect(report.checkpoints).toBeGreaterThan(0);

    // The same file, one digit changed, is refused with the seq that was edited.
    const text = readFileSync(file, 'utf8');
    const line = text.split('\n').find((l) => l.includes('"type":"task.completed"'))!;
    const seq = (JSON.parse(line) as { seq: number }).seq;
    writeFileSync(file, text.replace(line, line.replace('"attempt":', '"attempt":1')));
    let failed: { status: number | null; stdout: string } | null = null;
    try {
      execFileSync(process.execPath, [verifier, file, '--pubkey', keyFile], { encoding: 'utf8' });
    } catch (e) {
      failed = e as { status: number; stdout: string };
    }
    expect(failed?.status).toBe(1);
    expect(failed?.stdout).toContain(`first at seq ${seq}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await auditor.context().close();
  }
});

test('a row tampered in the database is named by verify integrity and marked in the timeline', async ({ page, request }) => {
  const { seq } = await publish(request, { type: 'e2e.ledger', key: 'e2e:audit', payload: { amount: 100, note: 'original' } });
  const db = new Database(databaseFile());
  const original = (db.prepare('SELECT payload FROM events WHERE seq = ?').get(seq) as { payload: string }).payload;
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update');
    db.prepare('UPDATE events SET payload = ? WHERE seq = ?').run('{"amount":1000000,"note":"original"}', seq);

    await page.goto('/audit');
    const verify = page.getByRole('form', { name: 'Verify a range' });
    await expect(verify).toBeVisible({ timeout: 15_000 });
    // The admin is offered what the auditor is not.
    await expect(page.getByRole('button', { name: 'Sign a checkpoint now' })).toBeVisible();
    await verify.getByLabel('From seq').fill(String(Math.max(1, seq - 3)));
    await verify.getByLabel('To seq').fill(String(seq));
    await verify.getByTestId('verify-button').click();
    const result = page.getByTestId('verify-result');
    await expect(result).toHaveAttribute('data-state', 'tampered');
    await expect(result.getByTestId('first-bad-seq')).toHaveText(String(seq));
    await expect(result).toContainText('TAMPERED');

    await result.getByRole('link', { name: `Open event #${seq} in the timeline` }).click();
    await expect(page.getByTestId('event-drawer').getByTestId('event-integrity')).toHaveAttribute('data-state', 'tampered');
    await expect(page.getByTestId('event-drawer')).toContainText('TAMPERED');
    await expect(eventRow(page, seq)).toBeVisible();
  } finally {
    db.prepare('UPDATE events SET payload = ? WHERE seq = ?').run(original, seq);
    db.exec(`CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON "events" BEGIN SELECT RAISE(ABORT, 'spine: events are immutable (UPDATE refused)'); END;`);
    db.close();
  }
  // Restored: the same range verifies again.
  await page.goto('/audit');
  const verify = page.getByRole('form', { name: 'Verify a range' });
  await verify.getByLabel('From seq').fill(String(Math.max(1, seq - 3)));
  await verify.getByLabel('To seq').fill(String(seq));
  await verify.getByTestId('verify-button').click();
  await expect(page.getByTestId('verify-result')).toHaveAttribute('data-state', 'ok');
});
