/**
 * Browser tests (e2e/*.spec.ts) against the built app on a fixed loopback port with a fresh SQLite
 * database and the demo publisher off. They run in the system Chromium: Playwright's own browser
 * download does not work here (ENVIRONMENT.md), so a missing Chromium is an error, never a skip.
 */
import { defineConfig, devices } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const executablePath = process.env.SPINE_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  throw new Error(
    `Chromium not found at ${executablePath}. Install it with \`apt-get install -y chromium\` ` +
      '(or point SPINE_CHROMIUM at a Chromium or Chrome executable). Do not run `npx playwright install`: its download fails offline.',
  );
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const PORT = Number(process.env.SPINE_E2E_PORT ?? 3107);
// This file loads in the runner and again in every worker; workers inherit the runner's directory.
process.env.SPINE_E2E_DB_DIR ??= mkdtempSync(path.join(tmpdir(), 'spine-e2e-'));
// A fresh SQLite file; SPINE_E2E_DATABASE_URL puts the server on another database (e2e/postgres.ts: PostgreSQL).
const databaseUrl = process.env.SPINE_E2E_DATABASE_URL ?? `file:${path.join(process.env.SPINE_E2E_DB_DIR, 'spine.db')}`;

// The LLM specialists of `legal-case-llm` are LLM agents on a fake OpenAI-compatible server that
// e2e/llm.spec.ts starts on this loopback port (the seed registers them from SPINE_OPENAI_BASE_URL).
export const LLM_PORT = Number(process.env.SPINE_E2E_LLM_PORT ?? 3108);

// An admin API key the server ensures at start (SPINE_API_KEY); tests publish with it (e2e/fixtures.ts).
process.env.SPINE_E2E_API_KEY ??= `spk_e2e_${randomBytes(16).toString('hex')}`;

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  // On CI a test that fails is run once more and reported as flaky if it then passes (Playwright's list reporter says so).
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  globalTeardown: './e2e/globalTeardown.ts',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    // The default page and request act as an admin through the run's API key. browser.newContext() and
    // request.newContext() in a test inherit this too unless they pass their own `extraHTTPHeaders`:
    // tests about people pass `extraHTTPHeaders: {}` (or other headers) and sign in.
    extraHTTPHeaders: { authorization: `Bearer ${process.env.SPINE_E2E_API_KEY}` },
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: /phone\.spec\.ts$/,
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: { executablePath, args: CHROMIUM_ARGS },
      },
    },
    {
      // Every page at a phone's width (e2e/phone.spec.ts): a 375 px viewport, touch, mobile meta viewport.
      name: 'phone',
      testMatch: /phone\.spec\.ts$/,
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 375, height: 812 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        launchOptions: { executablePath, args: CHROMIUM_ARGS },
      },
    },
  ],
  webServer: {
    // Builds first when the build is missing or stale (scripts/start.mjs).
    command: 'node scripts/start.mjs',
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 240_000,
    stdout: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    env: {
      PORT: String(PORT),
      HOST: '127.0.0.1',
      SPINE_DEMO: '0',
      DATABASE_URL: databaseUrl,
      SPINE_API_KEY: process.env.SPINE_E2E_API_KEY,
      // As behind one reverse proxy: each test's browser sends its own X-Forwarded-For (e2e/people.spec.ts),
      // so failed sign-ins on purpose do not use up the other tests' per-client budget.
      SPINE_TRUSTED_PROXIES: '1',
      // The LLM agents of the legal case with LLM specialists answer from the fake endpoint (e2e/llm.spec.ts).
      SPINE_OPENAI_BASE_URL: `http://127.0.0.1:${LLM_PORT}/v1`,
      SPINE_OPENAI_MODEL: 'e2e-fake-model',
      // Agents the tests serve on loopback (e2e/agents.spec.ts's webhook, the fake LLM) pass the outbound guard.
      SPINE_OUTBOUND_ALLOW: '127.0.0.1',
    },
  },
});
