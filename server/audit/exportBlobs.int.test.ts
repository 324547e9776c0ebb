/**
 * Audit exports of payloads stored by reference (blobs), on the real database (SPINE_TEST_DB): the export
 * carries each blob's full content beside the stub its row holds, and the offline verifier checks the
 * content against the SHA-256 in the hash-chained stub. A blob altered in the export, or on the server
 * before the export, or missing there, is named with its seq.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { logQueries, openSpine, type Spine } from '@/server/spine';
import { freshDatabaseUrl } from '@/server/testing/testDb';
import { verifyExport, type VerifyReport } from '@/scripts/spine-verify.mjs';
import { observability } from '@/server/observability';
import { openAudit, type Audit, type ExportFormat } from './index';

type Db = { url: string; spine: Spine; audit: Audit };
const opened: Db[] = [];

async function fresh(): Promise<Db> {
  const url = await freshDatabaseUrl();
  const spine = await openSpine({ databaseUrl: url, inlinePayloadBytes: 4096 });
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'spine-audit-blobs-'));
  const audit = openAudit(spine, { keyFile: path.join(keyDir, 'key.pem'), journalFile: path.join(keyDir, 'journal.jsonl'), everyEvents: 10, everyMs: 3_600_000 });
  const d = { url, spine, audit };
  opened.push(d);
  return d;
}

afterEach(async () => {
  for (const d of opened.splice(0)) {
    d.audit.stop();
    await d.spine.close().catch(() => undefined);
  }
});

async function exportText(d: Db, req: { runId: string } | { fromSeq?: number; toSeq?: number }, format: ExportFormat = 'jsonl'): Promise<string> {
  const ex = await d.audit.export({ ...req, format });
  let text = '';
  for await (const chunk of ex.body) text += chunk;
  return text;
}

const check = (d: Db, text: string, format?: 'jsonl' | 'csv'): VerifyReport => verifyExport(Buffer.from(text), { publicKeys: [d.audit.publicKeyPem], format });
const codes = (r: VerifyReport) => [...new Set(r.problems.map((p) => p.code))].sort();
const bad = (r: VerifyReport, code: string) => r.problems.filter((p) => p.code === code).map((p) => p.seq);

/** A run with one ~200 KB payload (stored by reference) among small events; returns it and its seq. */
async function runWithBlob(d: Db): Promise<{ doc: { nodeId: string; attempt: number; text: string }; seq: number }> {
  const doc = { nodeId: 'summarize', attempt: 1, text: 'Der Vertrag – § 4 „Haftung“ – '.repeat(6000) };
  await d.spine.publish({ type: 'run.started', runId: 'run-b', payload: { intent: 'Summarize the contract', state: {} } });
  await d.spine.publish({ type: 'ledger.entry', payload: { i: 1 } });
  const { seq } = await d.spine.publish({ type: 'task.completed', runId: 'run-b', payload: doc });
  await d.spine.publish({ type: 'ledger.entry', payload: { i: 2 } });
  await d.spine.publish({ type: 'run.completed', runId: 'run-b', payload: { output: { pages: 12 } } });
  return { doc, seq };
}

async function tamperBlobOnServer(d: Db, seq: number, how: 'edit' | 'delete') {
  // The SQLite log keeps blobs as files (read structurally, as the event-log contract does: no downcast).
  const files = (d.spine.log as { blobs?: { pathOf(sha256: string): string } }).blobs;
  if (d.spine.dialect === 'sqlite' && files) {
    const row = await logQueries(d.spine.log).get<{ payload: string }>('SELECT payload FROM events WHERE seq = ?', [seq]);
    const file = files.pathOf((JSON.parse(row!.payload) as { $blob: { sha256: string } }).$blob.sha256);
    if (how === 'delete') rmSync(file);
    else writeFileSync(file, readFileSync(file, 'utf8').replace('Haftung', 'Haftunk'));
    return;
  }
  const c = new pg.Client({ connectionString: d.url });
  await c.connect();
  try {
    const sha = (await c.query('SELECT payload::jsonb #>> \'{$blob,sha256}\' AS sha FROM events WHERE seq = $1', [seq])).rows[0].sha as string;
    await c.query(`DROP TRIGGER blobs_no_${how === 'edit' ? 'update' : 'delete'} ON blobs`);
    if (how === 'delete') await c.query('DELETE FROM blobs WHERE sha256 = $1', [sha]);
    else await c.query(`UPDATE blobs SET content = convert_to(replace(convert_from(content, 'UTF8'), 'Haftung', 'Haftunk'), 'UTF8') WHERE sha256 = $1`, [sha]);
  } finally {
    await c.end();
  }
}

describe('exports of payloads stored by reference', () => {
  it('a run export (JSONL and CSV) and a range export carry the full payload and verify offline', async () => {
    const d = await fresh();
    const { doc, seq } = await runWithBlob(d);
    const scopes: ({ runId: string } | { fromSeq?: number })[] = [{ runId: 'run-b' }, {}];
    for (const format of ['jsonl', 'csv'] as const) {
      for (const req of scopes) {
        const text = await exportText(d, req, format);
        const r = check(d, text, format);
        expect(r.problems).toEqual([]);
        expect(r).toMatchObject({ ok: true, blobs: 1 });
        expect(text).toContain('§ 4 „Haftung“');
      }
    }
    const line = (await exportText(d, { runId: 'run-b' })).split('\n').find((l) => l.includes(`"seq":${seq},`))!;
    const record = JSON.parse(line) as { payload: unknown; payloadStored: { $blob: { bytes: number } } };
    expect(record.payload).toEqual(doc);
    expect(record.payloadStored).toMatchObject({ $blob: { bytes: expect.any(Number) }, nodeId: 'summarize', attempt: 1 });
    expect(Buffer.byteLength(line)).toBeGreaterThan(record.payloadStored.$blob.bytes);
  });

  it('fails when the blob content in the export is altered, naming its seq (JSONL and CSV)', async () => {
    const d = await fresh();
    const { seq } = await runWithBlob(d);
    for (const format of ['jsonl', 'csv'] as const) {
      const text = await exportText(d, { runId: 'run-b' }, format);
      const altered = text.replace('„Haftung“', '„Haftunk“');
      expect(altered).not.toBe(text);
      const r = check(d, altered, format);
      expect(r.ok).toBe(false);
      expect(bad(r, 'event.blob_mismatch')).toEqual([seq]);
      expect(codes(r)).toContain('trailer.digest_mismatch');
      expect(r.firstBadSeq).toBe(seq);
    }
  });

  it('a blob altered on the server before the export is named by the server’s verify and by the offline verifier', async () => {
    const d = await fresh();
    const { seq } = await runWithBlob(d);
    await tamperBlobOnServer(d, seq, 'edit');
    expect(await d.audit.verify()).toMatchObject({ ok: false, firstBadSeq: seq });
    for (const format of ['jsonl', 'csv'] as const) {
      const r = check(d, await exportText(d, {}, format), format);
      expect(r.ok).toBe(false);
      expect(bad(r, 'event.blob_mismatch')).toEqual([seq]);
      expect(codes(r)).not.toContain('trailer.digest_mismatch');
      expect(codes(r)).toContain('server.found_problem');
    }
  });

  it('a blob missing on the server is reported as missing from the export', async () => {
    const d = await fresh();
    const { seq } = await runWithBlob(d);
    await tamperBlobOnServer(d, seq, 'delete');
    for (const format of ['jsonl', 'csv'] as const) {
      const r = check(d, await exportText(d, { runId: 'run-b' }, format), format);
      expect(bad(r, 'event.blob_missing')).toEqual([seq]);
      expect(codes(r)).not.toContain('event.hash_mismatch');
    }
  });

  it('the event drawer’s integrity check and the run views see a payload stored by reference as its content', async () => {
    const d = await fresh();
    const { seq } = await runWithBlob(d);
    const big = 'Anlage '.repeat(2000);
    const patched = await d.spine.publish({ type: 'context.patched', runId: 'run-b', payload: { patch: { appendix: big } } });
    const { versions } = await observability({ spine: d.spine }).reasoningPath('run-b', String(patched.seq));
    expect(versions.at(-1)).toMatchObject({ seq: patched.seq, state: { appendix: big } });
    expect(await d.audit.checkEvent(seq)).toMatchObject({ ok: true, hashOk: true });
    await tamperBlobOnServer(d, seq, 'edit');
    expect(await d.audit.checkEvent(seq)).toMatchObject({ ok: false, hashOk: false, linkOk: true });
  });
});
