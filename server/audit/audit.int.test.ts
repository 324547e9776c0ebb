/**
 * Audit exports and their offline verification, on the real database (SQLite or PostgreSQL by
 * SPINE_TEST_DB). Someone with write access to the database (but not to the signing key) edits,
 * deletes, truncates, swaps and rewrites the log; the offline verifier, given only the export and the
 * published key, must name what happened. So must "verify integrity" on the server.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { sqlitePathFromUrl } from '@/server/db/sqlite';
import { EVENT_COLUMNS, GENESIS_HASH, hashRow, openSpine, toStoredRow, type DbRow, type Spine } from '@/server/spine';
import { freshDatabaseUrl } from '@/server/testing/testDb';
import { verifyExport, type VerifyReport } from '@/scripts/spine-verify.mjs';
import { auditExportApi } from '@/server/http/v1/auditExport';
import { openAudit, type Audit, type ExportFormat } from './index';

type Db = { url: string; spine: Spine; audit: Audit; keyDir: string };
const opened: Db[] = [];

async function fresh(opts: { everyEvents?: number } = {}): Promise<Db> {
  const url = await freshDatabaseUrl();
  const spine = await openSpine({ databaseUrl: url });
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'spine-audit-'));
  const audit = openAudit(spine, { keyFile: path.join(keyDir, 'key.pem'), journalFile: path.join(keyDir, 'journal.jsonl'), everyEvents: opts.everyEvents ?? 10, everyMs: 3_600_000 });
  const db = { url, spine, audit, keyDir };
  opened.push(db);
  return db;
}

afterEach(async () => {
  for (const d of opened.splice(0)) {
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

/** Appends `n` ledger entries one commit at a time, letting interval checkpoints happen. */
async function ledger(d: Db, n: number) {
  for (let i = 0; i < n; i++) await d.spine.publish({ type: 'ledger.entry', key: `acct:${i % 3}`, payload: { i, amount: 100 + i } });
  await d.audit.signNow();
}

async function exportText(d: Db, req: { runId: string } | { fromSeq?: number; toSeq?: number }, format: ExportFormat = 'jsonl'): Promise<string> {
  const ex = await d.audit.export({ ...req, format });
  let text = '';
  for await (const chunk of ex.body) text += chunk;
  return text;
}

function check(d: Db, text: string, format?: 'jsonl' | 'csv'): VerifyReport {
  return verifyExport(Buffer.from(text), { publicKeys: [d.audit.publicKeyPem], format });
}

const codes = (r: VerifyReport) => [...new Set(r.problems.map((p) => p.code))].sort();

async function rows(d: Db): Promise<DbRow[]> {
  return (await raw(d.url, `SELECT ${EVENT_COLUMNS} FROM events ORDER BY seq`)) as DbRow[];
}

/** Replaces the whole log with `next` (renumbered 1…n and re-hashed, as a forger with database access would). */
async function rewrite(d: Db, transform: (rows: DbRow[]) => DbRow[]) {
  await dropImmutability(d);
  const next = transform(await rows(d));
  let prev = GENESIS_HASH;
  const out = next.map((r, i) => {
    const s = { ...toStoredRow(r), seq: i + 1, prevHash: prev };
    const hash = hashRow(prev, s);
    prev = hash;
    return { ...s, hash };
  });
  await raw(d.url, 'DELETE FROM events');
  for (const r of out)
    await raw(d.url, `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      r.seq, r.id, r.type, r.key, r.runId, r.causationId, r.sourceKind, r.sourceName, r.timeMs, r.envelopeVersion, r.payload, r.idempotencyKey, r.prevHash, r.hash,
    ]);
  await raw(d.url, 'UPDATE spine_head SET seq = ?, hash = ? WHERE id = 1', [out.length, prev]);
}

describe('audit export and the offline verifier', () => {
  it('signs a checkpoint of the head after every N events, driven by commits', async () => {
    const d = await fresh({ everyEvents: 5 });
    const seen: number[] = [];
    const ac = new AbortController();
    const watching = (async () => {
      for await (const e of d.spine.subscribe({ types: ['audit.checkpoint_signed'], fromSeq: 1, signal: ac.signal })) {
        seen.push((e.payload as { seq: number }).seq);
        if (seen.length === 3) break;
      }
    })();
    for (let i = 0; i < 16; i++) await d.spine.publish({ type: 'ledger.entry', payload: { i } });
    await watching;
    ac.abort();
    // The first commit is signed at once; then one checkpoint per 5 new events (its own event not counted).
    expect(seen[0]).toBe(1);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(5);
    expect(seen[2]! - seen[1]!).toBeGreaterThanOrEqual(5);
    const all = await d.audit.checkpoints();
    expect(all.map((c) => c.seq)).toEqual(expect.arrayContaining(seen));
  });

  it('exports an intact range as JSONL and CSV that verify offline, with checkpoints and a signed trailer', async () => {
    const d = await fresh();
    await ledger(d, 40);
    for (const format of ['jsonl', 'csv'] as const) {
      const text = await exportText(d, {}, format);
      const r = check(d, text, format);
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.events).toBe(await d.spine.head());
      // At least the first commit's checkpoint and signNow's at the head; the ones in between follow commits
      // asynchronously, and on a loaded machine several thresholds can fold into one signature.
      expect(r.checkpoints).toBeGreaterThanOrEqual(2);
    }
    expect((await d.audit.verify()).ok).toBe(true);
  });

  it('exports a run with anchors and verifies it', async () => {
    const d = await fresh();
    await d.spine.publish({ type: 'run.started', runId: 'run-a', payload: { intent: 'Pay invoice 7', state: {} } });
    for (let i = 0; i < 15; i++) {
      await d.spine.publish({ type: 'ledger.entry', payload: { i } });
      await d.spine.publish({ type: 'task.noted', runId: 'run-a', payload: { i } });
    }
    const text = await exportText(d, { runId: 'run-a' });
    const r = check(d, text);
    expect(r.problems).toEqual([]);
    expect(r.events).toBe(16);
    expect(r.scope).toMatchObject({ kind: 'run', runId: 'run-a', events: 16 });
    expect(text).toContain('"record":"anchor"');
  });

  it('names an edited event, in the export and in verify integrity', async () => {
    const d = await fresh();
    await ledger(d, 30);
    await dropImmutability(d);
    await raw(d.url, `UPDATE events SET payload = '{"amount":1000000,"i":12}' WHERE seq = 13`);
    const r = check(d, await exportText(d, {}));
    expect(r.ok).toBe(false);
    expect(r.firstBadSeq).toBe(13);
    expect(codes(r)).toContain('event.hash_mismatch');
    const v = await d.audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadSeq: 13 });
  });

  it('refuses to sign a checkpoint over a chain that no longer verifies', async () => {
    const d = await fresh({ everyEvents: 1000 });
    await ledger(d, 10);
    await d.spine.publish({ type: 'ledger.entry', payload: { i: 10 } });
    const head = await d.spine.head();
    await dropImmutability(d);
    await raw(d.url, `UPDATE events SET payload = '{"i":-1}' WHERE seq = ?`, [head]);
    expect(await d.audit.signNow()).toBeNull();
    expect(d.audit.status().lastError).toMatchObject({ firstBadSeq: head });
  });

  it('names a deleted event', async () => {
    const d = await fresh();
    await ledger(d, 30);
    await dropImmutability(d);
    await raw(d.url, 'DELETE FROM events WHERE seq = 7');
    const r = check(d, await exportText(d, {}));
    expect(codes(r)).toContain('event.missing');
    expect(r.firstBadSeq).toBe(7);
    expect((await d.audit.verify()).firstBadSeq).toBe(7);
  });

  it('names swapped events', async () => {
    const d = await fresh();
    await ledger(d, 30);
    await dropImmutability(d);
    await raw(d.url, `UPDATE events SET payload = CASE seq WHEN 6 THEN (SELECT payload FROM events WHERE seq = 7) ELSE (SELECT payload FROM events WHERE seq = 6) END WHERE seq IN (6, 7)`);
    const r = check(d, await exportText(d, {}));
    expect(codes(r)).toContain('event.hash_mismatch');
    expect(r.firstBadSeq).toBe(6);
  });

  it('detects a truncated tail that the hash chain alone cannot see', async () => {
    const d = await fresh();
    await ledger(d, 40);
    const before = await d.spine.head();
    await dropImmutability(d);
    const keep = 20;
    const [row] = (await raw(d.url, 'SELECT hash FROM events WHERE seq = ?', [keep])) as { hash: string }[];
    await raw(d.url, 'DELETE FROM events WHERE seq > ?', [keep]);
    await raw(d.url, 'UPDATE spine_head SET seq = ?, hash = ? WHERE id = 1', [keep, row!.hash]);
    expect(before).toBeGreaterThan(keep);
    expect((await d.spine.verify()).ok).toBe(true); // the chain itself is consistent
    const r = check(d, await exportText(d, {}));
    expect(codes(r)).toContain('checkpoint.beyond_head');
    expect(r.firstBadSeq).toBe(keep + 1);
    const v = await d.audit.verify();
    expect(v.ok).toBe(false);
    expect(v.checkpoints.beyondHead.length).toBeGreaterThan(0);
  });

  it('detects a chain rewritten with recomputed hashes, even with the checkpoint events deleted from the log', async () => {
    const d = await fresh();
    await ledger(d, 40);
    await rewrite(d, (all) =>
      all
        .filter((r) => r.type !== 'audit.checkpoint_signed')
        .map((r) => (Number(r.seq) === 9 ? { ...r, payload: '{"amount":1,"i":8}' } : r)),
    );
    expect((await d.spine.verify()).ok).toBe(true); // a perfect forgery as far as the chain goes
    const r = check(d, await exportText(d, {}));
    expect(r.ok).toBe(false);
    expect(codes(r)).toContain('checkpoint.mismatch');
    const v = await d.audit.verify();
    expect(v.ok).toBe(false);
    expect(v.checkpoints.mismatched.length).toBeGreaterThan(0);
  });

  it('detects an export edited, cut, reordered or re-signed after it was written', async () => {
    const d = await fresh();
    await ledger(d, 25);
    const text = await exportText(d, {});
    const lines = text.trimEnd().split('\n');
    const edited = text.replace('"amount":110', '"amount":999');
    expect(codes(check(d, edited))).toEqual(expect.arrayContaining(['event.hash_mismatch', 'trailer.digest_mismatch']));
    const cut = `${lines.slice(0, 15).join('\n')}\n`;
    expect(codes(check(d, cut))).toContain('file.incomplete');
    const dropped = `${[...lines.slice(0, 5), ...lines.slice(6)].join('\n')}\n`;
    expect(codes(check(d, dropped))).toEqual(expect.arrayContaining(['event.missing', 'trailer.digest_mismatch']));
    const swapped = `${[...lines.slice(0, 5), lines[6], lines[5], ...lines.slice(7)].join('\n')}\n`;
    expect(codes(check(d, swapped))).toContain('event.out_of_order');
    // Someone else's key: the trailer and checkpoints do not verify against the published one.
    const other = await fresh();
    await ledger(other, 5);
    const foreign = verifyExport(Buffer.from(await exportText(other, {})), { publicKeys: [d.audit.publicKeyPem] });
    expect(codes(foreign)).toContain('trailer.unknown_key');
  });

  it('serves exports over GET /api/v1/audit/export as a download, and refuses bad ranges with a coded error', async () => {
    const d = await fresh();
    await ledger(d, 12);
    // Handlers built without an auth service act as the system actor (HTTP auth has its own tests).
    const api = auditExportApi(async () => ({ spine: d.spine, maxPayloadBytes: 256 * 1024 }));
    const res = await api.export(new Request('http://spine.test/api/v1/audit/export?from=2&to=9&format=csv'), {});
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="spine-audit-seq-2-9.csv"');
    const r = check(d, await res.text(), 'csv');
    expect(r.problems).toEqual([]);
    expect(r.scope).toEqual({ kind: 'range', fromSeq: 2, toSeq: 9 });
    const bad = await api.export(new Request('http://spine.test/api/v1/audit/export?from=9&to=2'), {});
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'audit.empty_range' } });
    const none = await api.export(new Request('http://spine.test/api/v1/audit/export?runId=nope'), {});
    expect(none.status).toBe(404);
    const key = await api.publicKey(new Request('http://spine.test/api/v1/audit/public-key'), {});
    expect(await key.text()).toBe(d.audit.publicKeyPem);
    expect(key.headers.get('x-spine-key-id')).toBe(d.audit.keyId);
  });
});
