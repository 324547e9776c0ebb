/**
 * "Verified" means the same everywhere it is shown, on the real database (SQLite or PostgreSQL by
 * SPINE_TEST_DB): the public API's `GET /api/v1/audit/verify` (over HTTP on loopback), the audit
 * service's verify behind the dashboard (through the tRPC router), and the event drawer's per-event check
 * (through the tRPC router) all recompute the chain AND compare it with the signed checkpoints, and name
 * the checkpoint that vouches for what they checked. Two attacks by someone who can write the database
 * but not the signing key must fail all three:
 *   (a) the immutability triggers dropped and the chain rewritten from seq 201, with every hash and the
 *       head recomputed (the chain alone verifies);
 *   (b) the last 10 events deleted and the head fixed (the chain alone verifies).
 *
 * The log: ledger entries, with checkpoints signed at seq 1 (the first commit), 200, 300 and 340; each
 * checkpoint's own event follows it (201, 301, 341).
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { EngineService } from '@/server/engine';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { openApiDocument } from '@/server/http/openapi';
import { auditApi, type AuditVerifyResult } from '@/server/http/v1/audit';
import { sqlitePathFromUrl } from '@/server/db/sqlite';
import { EVENT_COLUMNS, hashRow, openSpine, toStoredRow, type DbRow, type Spine } from '@/server/spine';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { openAudit, type Audit } from './index';

type Db = { url: string; spine: Spine; audit: Audit; server: http.Server; base: string };
const opened: Db[] = [];

afterEach(async () => {
  for (const d of opened.splice(0)) {
    d.server.closeAllConnections();
    await new Promise((r) => d.server.close(r));
    d.audit.stop();
    await d.spine.close().catch(() => undefined);
  }
});

async function raw(url: string, sql: string, params: unknown[] = []): Promise<unknown[]> {
  if (url.startsWith('postgres')) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      let n = 0;
      return (await c.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
    } finally {
      await c.end();
    }
  }
  const db = new Database(sqlitePathFromUrl(url));
  try {
    const st = db.prepare(sql);
    return st.reader ? st.all(...params) : (st.run(...params), []);
  } finally {
    db.close();
  }
}

async function dropImmutability(d: Db) {
  const on = d.spine.dialect === 'postgresql' ? ' ON events' : '';
  await raw(d.url, `DROP TRIGGER IF EXISTS events_no_update${on}`);
  await raw(d.url, `DROP TRIGGER IF EXISTS events_no_delete${on}`);
}

/** Publishes ledger entries until the head is `seq`. */
async function ledgerTo(d: Db, seq: number) {
  while ((await d.spine.head()) < seq) await d.spine.publish({ type: 'ledger.entry', key: 'acct:1', payload: { amount: 100 } });
}

async function fresh(): Promise<Db> {
  const url = await freshDatabaseUrl();
  const spine = await openSpine({ databaseUrl: url });
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'spine-evidence-'));
  // Interval checkpoints only at the first commit; the rest are signed by hand where the test wants them.
  const audit = openAudit(spine, { keyFile: path.join(keyDir, 'key.pem'), journalFile: path.join(keyDir, 'journal.jsonl'), everyEvents: 100_000, everyMs: 3_600_000 });
  const server = createNodeServer([{ method: 'GET', path: '/api/v1/audit/verify', handler: auditApi(async () => ({ spine, maxPayloadBytes: 65536 })).verify }]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const d: Db = { url, spine, audit, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  opened.push(d);
  for (const at of [200, 300, 340]) {
    await ledgerTo(d, at);
    expect(await audit.signNow()).toMatchObject({ seq: at });
  }
  expect(await spine.head()).toBe(341);
  return d;
}

/** Attack (a): from `fromSeq` on, `edit` rows and recompute every hash after it, and the head. */
async function rewriteFrom(d: Db, fromSeq: number, edit: (r: DbRow) => DbRow) {
  await dropImmutability(d);
  const all = (await raw(d.url, `SELECT ${EVENT_COLUMNS} FROM events ORDER BY seq`)) as DbRow[];
  let prev = all.find((r) => Number(r.seq) === fromSeq - 1)!.hash;
  for (const r of all.filter((x) => Number(x.seq) >= fromSeq)) {
    const s = { ...toStoredRow(Number(r.seq) === fromSeq ? edit(r) : r), prevHash: prev };
    const hash = hashRow(prev, s);
    await raw(d.url, 'UPDATE events SET type = ?, payload = ?, prev_hash = ?, hash = ? WHERE seq = ?', [s.type, s.payload, prev, hash, s.seq]);
    prev = hash;
  }
  await raw(d.url, 'UPDATE spine_head SET hash = ? WHERE id = 1', [prev]);
}

/** Attack (b): delete the last `n` events and point the head at the new last one. */
async function cutTail(d: Db, n: number) {
  await dropImmutability(d);
  const head = await d.spine.head();
  const keep = head - n;
  const [row] = (await raw(d.url, 'SELECT hash FROM events WHERE seq = ?', [keep])) as { hash: string }[];
  await raw(d.url, 'DELETE FROM events WHERE seq > ?', [keep]);
  await raw(d.url, 'UPDATE spine_head SET seq = ?, hash = ? WHERE id = 1', [keep, row!.hash]);
}

async function apiVerify(d: Db, query = ''): Promise<AuditVerifyResult> {
  const res = await fetch(`${d.base}/api/v1/audit/verify${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as AuditVerifyResult;
}

const AUDITOR = { kind: 'user' as const, id: 'aude', name: 'aude', roles: ['auditor' as const] };
const VIEWER = { kind: 'user' as const, id: 'vera', name: 'vera', roles: [] };
/** The dashboard's routers (audit verify, the drawer's events.integrity) need only the spine here. */
const callerAs = (d: Db, actor: typeof AUDITOR | typeof VIEWER) => createCaller(createContextInner({ actor, services: { spine: d.spine, engine: undefined as unknown as EngineService } }));

describe(`verified means chain and checkpoints, everywhere (${testDbKind()})`, () => {
  it('an intact log: every place says verified and names the checkpoint that vouches for it', async () => {
    const d = await fresh();
    const cps = await d.audit.checkpoints();
    const at300 = cps.find((c) => c.seq === 300)!;

    const api = await apiVerify(d, '?from=150&to=250');
    expect(api).toMatchObject({ ok: true, firstBadSeq: null, fromSeq: 150, toSeq: 250, problems: [], unvouched: null });
    // The nearest checkpoint at or after the range's end covers it: the chain was recomputed up to it.
    expect(api.vouchedBy).toEqual({ number: 3, seq: 300, keyId: d.audit.keyId, signedAt: at300.signedAt, hash: at300.hash, reason: 'manual' });
    expect(api.checked).toBe(300 - 150 + 1);
    // The response is the one the OpenAPI document describes.
    const documented = openApiDocument.paths['/api/v1/audit/verify'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(api).sort()).toEqual([...documented.required].sort());
    expect(Object.keys(api.checkpoints).sort()).toEqual([...documented.properties.checkpoints.required].sort());
    expect(Object.keys(api.vouchedBy!).sort()).toEqual([...(documented.properties.vouchedBy.oneOf[0] as { required: string[] }).required].sort());
    const whole = await apiVerify(d);
    expect(whole).toMatchObject({ ok: true, vouchedBy: null, unvouched: { fromSeq: 341, toSeq: 341 }, checkpoints: { latest: { seq: 340 } } });

    const dashboard = await callerAs(d, AUDITOR).audit.verify({ from: 150, to: 250 });
    expect(dashboard).toMatchObject({ ok: true, vouchedBy: { number: 3, seq: 300, hash: at300.hash } });

    const drawer = callerAs(d, VIEWER).events;
    expect(await drawer.integrity({ seq: 250 })).toMatchObject({ ok: true, vouchedBy: { number: 3, seq: 300, signedAt: at300.signedAt }, pending: false, problems: [] });
    expect(await drawer.integrity({ seq: 300 })).toMatchObject({ ok: true, vouchedBy: { seq: 300 } });
    expect(await drawer.integrity({ seq: 341 })).toMatchObject({ ok: true, vouchedBy: null, pending: true });
  });

  it('(a) a chain rewritten from seq 201 with every hash and the head recomputed fails everywhere, at seq 201', async () => {
    const d = await fresh();
    await rewriteFrom(d, 201, (r) => ({ ...r, type: 'ledger.entry', payload: '{"amount":1000000}' }));
    expect((await d.spine.verify()).ok).toBe(true); // the chain alone cannot see it

    const api = await apiVerify(d);
    expect(api).toMatchObject({ ok: false, firstBadSeq: 201, vouchedBy: null, reason: null });
    expect(api.checkpoints.mismatched.map((f) => f.seq)).toEqual([300, 340]);
    expect(api.problems.join(' ')).toContain('rewritten');
    // A range before the rewrite is vouched for by seq 200, but the latest checkpoint no longer matches.
    expect(await apiVerify(d, '?from=1&to=150')).toMatchObject({ ok: false, firstBadSeq: 201 });

    const dashboard = await callerAs(d, AUDITOR).audit.verify({});
    expect(dashboard).toMatchObject({ ok: false, firstBadSeq: 201 });
    expect(dashboard.checkpoints.mismatched.length).toBe(2);

    const drawer = callerAs(d, VIEWER).events;
    const inside = (await drawer.integrity({ seq: 250 }))!;
    // The row itself is perfect (its hash matches its content and it links back) ...
    expect(inside).toMatchObject({ hashOk: true, linkOk: true, ok: false, vouchedBy: null });
    // ... but the chain from it no longer ends in the hash checkpoint #3 signed.
    expect(inside.problems.map((p) => p.code)).toContain('checkpoint.mismatch');
    expect(inside.problems.find((p) => p.code === 'checkpoint.mismatch')!.checkpoint).toMatchObject({ number: 3, seq: 300 });
    const rewritten = (await drawer.integrity({ seq: 201 }))!;
    expect(rewritten).toMatchObject({ ok: false, hashOk: true });
    const before = (await drawer.integrity({ seq: 150 }))!;
    expect(before).toMatchObject({ ok: false, hashOk: true, linkOk: true });
    expect(before.problems.map((p) => p.code)).toEqual(['checkpoint.latest_mismatch']);
  });

  it('(b) the last 10 events deleted with the head fixed fails everywhere, at the first missing seq', async () => {
    const d = await fresh();
    await cutTail(d, 10);
    expect(await d.spine.head()).toBe(331);
    expect((await d.spine.verify()).ok).toBe(true); // the chain alone cannot see it

    const api = await apiVerify(d);
    expect(api).toMatchObject({ ok: false, firstBadSeq: 332, head: 331, vouchedBy: null });
    expect(api.checkpoints.beyondHead.map((f) => f.seq)).toEqual([340]);
    expect(api.problems.join(' ')).toContain('tail was cut off');
    expect(await apiVerify(d, '?from=10&to=20')).toMatchObject({ ok: false, firstBadSeq: 332 });

    expect(await callerAs(d, AUDITOR).audit.verify({ from: 10, to: 20 })).toMatchObject({ ok: false, firstBadSeq: 332 });

    for (const seq of [5, 250, 331]) {
      const e = (await callerAs(d, VIEWER).events.integrity({ seq }))!;
      expect(e).toMatchObject({ ok: false, hashOk: true, linkOk: true, vouchedBy: null });
      expect(e.problems.map((p) => p.code)).toContain('checkpoint.beyond_head');
      expect(e.problems.find((p) => p.code === 'checkpoint.beyond_head')).toMatchObject({ firstBadSeq: 332, checkpoint: { seq: 340, number: 4 } });
    }
  });

  it('an edited row (hash not recomputed) is named by the chain, and its checkpoint cannot vouch for it', async () => {
    const d = await fresh();
    await dropImmutability(d);
    await raw(d.url, `UPDATE events SET payload = '{"amount":7}' WHERE seq = ?`, [120]);
    expect(await apiVerify(d, '?from=100&to=150')).toMatchObject({ ok: false, firstBadSeq: 120, reason: 'hash_mismatch', vouchedBy: null });
    const e = (await callerAs(d, VIEWER).events.integrity({ seq: 110 }))!;
    expect(e).toMatchObject({ ok: false, hashOk: true, vouchedBy: null });
    expect(e.problems).toEqual([expect.objectContaining({ code: 'checkpoint.chain_broken', firstBadSeq: 120 })]);
    expect(await callerAs(d, VIEWER).events.integrity({ seq: 120 })).toMatchObject({ ok: false, hashOk: false });
  });
});
