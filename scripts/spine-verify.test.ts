/**
 * The offline verifier is written without Spine's code, so its hashing and canonical JSON must agree
 * with the log's byte for byte: checked on the engine's recorded histories and on awkward values. And
 * its CSV reader must undo exactly what the exporter does to keep spreadsheets from running formulas.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson as spineCanonical, hashRow } from '@/server/spine/log/hashChain';
import type { SpineEvent } from '@/server/spine';
import { csvCell } from '@/server/audit/exportFormat';
import { blobRefOf as spineBlobRefOf, blobStub, prepareBlob } from '@/server/spine/blobs';
import { blobRefOf, canonicalJson, hashEvent, verifyExport } from './spine-verify.mjs';

const fixtures = path.join(import.meta.dirname, '../server/engine/__fixtures__');

describe('spine-verify, written independently, agrees with the log', () => {
  it('recomputes every recorded event’s hash', () => {
    for (const f of readdirSync(fixtures).filter((x) => x.endsWith('.jsonl'))) {
      for (const line of readFileSync(path.join(fixtures, f), 'utf8').trim().split('\n')) {
        const e = JSON.parse(line) as SpineEvent;
        const row = {
          seq: e.seq, id: e.id, type: e.type, key: e.key, runId: e.runId, causationId: e.causationId, sourceKind: e.source.kind, sourceName: e.source.name,
          timeMs: Date.parse(e.time), envelopeVersion: e.envelopeVersion, idempotencyKey: e.idempotencyKey, payloadText: canonicalJson(e.payload), prevHash: e.prevHash,
        };
        expect(hashEvent(row)).toBe(e.hash);
        expect(hashEvent(row)).toBe(hashRow(e.prevHash, { ...row, payload: spineCanonical(e.payload) }));
      }
    }
  });

  it('writes the same canonical JSON for awkward values', () => {
    const values = [{ b: 1, a: [true, null, -0.5, 1e21, 'x"\n\u2028é'] }, [], {}, 'plain', 0, { z: { y: { x: [{ c: 1, b: 2 }] } } }, { undef: undefined, k: 1 }];
    for (const v of values) expect(canonicalJson(v)).toBe(spineCanonical(v));
  });

  it('reads the blob reference in the stubs the log writes, and nothing else', () => {
    for (const payload of [{ nodeId: 'n', attempt: 2, doc: 'x'.repeat(500), '!k': 1 }, ['a', 'b'], 'just text']) {
      const blob = prepareBlob(spineCanonical(payload));
      const stub = blobStub(payload, blob);
      expect(blobRefOf(stub)).toEqual({ sha256: blob.sha256, bytes: blob.bytes });
      expect(blobRefOf(stub)).toEqual(spineBlobRefOf(stub));
    }
    for (const text of ['{"a":1}', '{"$blob":1}', `{"$blob":{"bytes":1.5,"sha256":"${'a'.repeat(64)}"}}`, '{"$blob":{"bytes":1,"sha256":"A"}}', '{"$blob":'])
      expect([text, blobRefOf(text)]).toEqual([text, spineBlobRefOf(text)]);
  });

  it('refuses a file that is not an export, with a coded problem', () => {
    expect(verifyExport(Buffer.from('hello\n'), { format: 'jsonl' }).problems.map((p) => p.code)).toEqual(['file.bad_line', 'file.not_export']);
    expect(verifyExport(Buffer.from('hello\n')).problems.map((p) => p.code)).toEqual(['file.not_export']);
    expect(verifyExport(Buffer.from('a,b\r\n1,2\r\n'), { format: 'csv' }).problems[0]!.code).toBe('file.not_export');
  });
});

describe('CSV cells that a spreadsheet would run', () => {
  it('are guarded with a leading quote that the verifier strips again', () => {
    expect(['=SUM(A1)', '+1', '-5', '@x', "'quoted", 'plain', '{"a":1}'].map(csvCell)).toEqual(["'=SUM(A1)", "'+1", "'-5", "'@x", "''quoted", 'plain', '"{""a"":1}"']);
  });
});
