/**
 * Checkpoints start at boot, on the real database (SQLite or PostgreSQL by SPINE_TEST_DB): the runtime,
 * started the way the server starts it (from the environment), signs checkpoints as the log grows with
 * nobody opening an audit page (nothing calls `auditFor`), and the audit service the pages and routes
 * later get is the one boot started.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Runtime } from '@/server/runtime';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { CHECKPOINT_EVENT_TYPE, auditFor } from './index';

const ENV = ['DATABASE_URL', 'SPINE_AUDIT_KEY_FILE', 'SPINE_AUDIT_JOURNAL_FILE', 'SPINE_AUDIT_CHECKPOINT_EVENTS', 'SPINE_AUDIT_CHECKPOINT_MS', 'SPINE_SEED', 'SPINE_DEMO'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let rt: Runtime | undefined;

afterAll(async () => {
  await rt?.close();
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe(`audit checkpoints from boot (${testDbKind()})`, () => {
  it('a runtime with a small interval signs checkpoints with no audit page visited', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-boot-audit-'));
    Object.assign(process.env, {
      DATABASE_URL: await freshDatabaseUrl(),
      SPINE_AUDIT_KEY_FILE: path.join(dir, 'key.pem'),
      SPINE_AUDIT_CHECKPOINT_EVENTS: '5',
      SPINE_AUDIT_CHECKPOINT_MS: '3600000',
      SPINE_SEED: '0',
      SPINE_DEMO: '0',
    });
    delete process.env.SPINE_AUDIT_JOURNAL_FILE;
    // Imported after the environment is set: the runtime reads it once.
    const { getRuntime } = await import('@/server/runtime');
    rt = await getRuntime();
    const { spine } = rt;
    const seen: number[] = [];
    const ac = new AbortController();
    const watching = (async () => {
      for await (const e of spine.subscribe({ types: [CHECKPOINT_EVENT_TYPE], fromSeq: 1, signal: ac.signal })) {
        seen.push((e.payload as { seq: number }).seq);
        if (seen.length === 2) break;
      }
    })();
    const head0 = await spine.head();
    for (let i = 0; i < 12; i++) await spine.publish({ type: 'ledger.entry', payload: { i } });
    await Promise.race([watching, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${seen.length} checkpoint(s) signed`)), 10_000))]);
    ac.abort();
    // The first commit after boot is signed at once, the next one 5 events later.
    expect(seen[0]).toBeGreaterThan(head0);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(5);
    expect(rt.audit.status().last).not.toBeNull();
    // The journal is kept beside the key, one per database.
    expect(path.dirname(rt.audit.journalFile)).toBe(dir);
    expect(auditFor(spine)).toBe(rt.audit);
    expect((await rt.audit.verify()).ok).toBe(true);
  });
});
