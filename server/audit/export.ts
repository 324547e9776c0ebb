/**
 * Streams an audit export of a run or a seq range (exportFormat.ts describes the records). Everything
 * that can fail (unknown run, empty range) fails before the first byte; then the export is produced page
 * by page, so a range of 100,000 events never sits in memory, and a SHA-256 runs over every byte written
 * until the signed trailer closes the file.
 *
 * A payload stored by reference is exported whole (its blob read beside the row, exportFormat.ts), one event
 * per chunk, so a page of large payloads is never concatenated in memory.
 *
 * Before reading, a checkpoint of the head is signed (if the chain since the last checkpoint verifies), so
 * an export always carries a fresh signature of the chain it was taken from.
 */
import { createHash } from 'node:crypto';
import { NotFoundError, ValidationError } from '@/server/errors';
import { EVENT_COLUMNS, GENESIS_HASH, blobRefOf, logQueries, type DbRow, type Spine } from '@/server/spine';
import type { Checkpointer } from './checkpointer';
import type { SignedCheckpoint } from './checkpoint';
import {
  csvHeaderRow, eventCsv, eventJsonl, exportFileName, EXPORT_FORMAT_NAME, EXPORT_FORMAT_VERSION, recordCsv, recordJsonl, trailerMessage,
  type AnchorRecord, type CheckpointRecord, type ExportFormat, type ExportScope, type ExportVerification, type HeaderRecord, type TrailerStatement,
} from './exportFormat';
import type { SigningKey } from './signingKey';
import { storedHashes, verifyLog } from './verifyLog';

export type ExportRequest = { format: ExportFormat } & ({ runId: string } | { fromSeq?: number; toSeq?: number });

export type PreparedExport = { fileName: string; contentType: string; scope: ExportScope; body: AsyncGenerator<string> };

const PAGE = 1000;

export async function prepareExport(deps: { spine: Spine; key: SigningKey; checkpointer: Checkpointer }, req: ExportRequest): Promise<PreparedExport> {
  const { spine, key, checkpointer } = deps;
  const exportCheckpoint = await checkpointer.signNow('export');
  const head = await spine.head();
  const sql = logQueries(spine.log);
  let scope: ExportScope;
  if ('runId' in req) {
    const span = await sql.get<{ a: unknown; b: unknown; n: unknown }>('SELECT MIN(seq) AS a, MAX(seq) AS b, count(*) AS n FROM events WHERE run_id = ?', [req.runId]);
    const n = Number(span?.n ?? 0);
    if (n === 0) throw new NotFoundError('run.not_found', `No run '${req.runId}'`, { runId: req.runId });
    const run = await spine.getRun(req.runId);
    scope = { kind: 'run', runId: req.runId, workflowId: run?.workflowId ?? null, fromSeq: Number(span!.a), toSeq: Number(span!.b), events: n };
  } else {
    const fromSeq = Math.max(1, req.fromSeq ?? 1);
    const toSeq = Math.min(req.toSeq ?? head, head);
    if (head === 0) throw new NotFoundError('audit.empty_log', 'The log has no events yet');
    if (fromSeq > toSeq) throw new ValidationError('audit.empty_range', `Nothing to export between seq ${fromSeq} and ${toSeq} (the head is ${head})`, { fromSeq, toSeq, head });
    scope = { kind: 'range', fromSeq, toSeq };
  }
  const fileName = exportFileName(scope, req.format);
  const contentType = req.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8';
  // Everything fallible about the request is checked: from here on the export only streams.
  return { fileName, contentType, scope, body: produce(deps, req.format, scope, head, exportCheckpoint) };
}

async function* produce(deps: { spine: Spine; key: SigningKey; checkpointer: Checkpointer }, format: ExportFormat, scope: ExportScope, head: number, exportCheckpoint: SignedCheckpoint | null): AsyncGenerator<string> {
  const { spine, key, checkpointer } = deps;
  const sql = logQueries(spine.log);
  const digest = createHash('sha256');
  let records = 0;
  const emit = (text: string) => {
    digest.update(text);
    return text;
  };
  const rec = format === 'csv' ? recordCsv : recordJsonl;
  const ev = format === 'csv' ? eventCsv : eventJsonl;

  const from = scope.fromSeq ?? 1;
  const to = scope.toSeq ?? 0;
  const edge = await sql.all<{ seq: unknown; hash: string }>('SELECT seq, hash FROM events WHERE seq IN (?, ?)', [from - 1, head]);
  const hashAt = (s: number) => edge.find((r) => Number(r.seq) === s)?.hash ?? null;
  const header: HeaderRecord = {
    record: 'header',
    format: EXPORT_FORMAT_NAME,
    formatVersion: EXPORT_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    scope,
    head: { seq: head, hash: hashAt(head) },
    prevHash: scope.kind === 'range' ? (from === 1 ? GENESIS_HASH : hashAt(from - 1)) : null,
    keys: [{ keyId: key.keyId, algorithm: 'Ed25519', publicKey: key.publicKeyPem }],
    generator: 'Spine',
  };
  if (format === 'csv') yield emit(csvHeaderRow());
  yield emit(rec(header));
  records++;

  const exported = new Set<number>();
  for (let after = from - 1; ; ) {
    const rows =
      scope.kind === 'run'
        ? await sql.all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?`, [scope.runId, after, PAGE])
        : await sql.all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, [after, to, PAGE]);
    let chunk = '';
    for (const r of rows) {
      const ref = blobRefOf(r.payload);
      if (ref) {
        if (chunk) yield emit(chunk);
        chunk = '';
        yield emit(ev(r, await spine.log.readBlob(ref.sha256)));
      } else chunk += ev(r);
      exported.add(Number(r.seq));
      records++;
    }
    if (chunk) yield emit(chunk);
    if (rows.length < PAGE) break;
    after = Number(rows[rows.length - 1]!.seq);
  }

  const all = await checkpointer.all();
  const nextAfter = all.find((c) => c.seq >= to);
  const chosen = all.filter((c) => (c.seq >= from && c.seq <= to) || c.seq > head || c === nextAfter || c.signature === exportCheckpoint?.signature);
  const verification = summarize(await verifyLog(spine, key, all, from, to));
  const unexported = chosen.map((c) => c.seq).filter((s) => !exported.has(s));
  const stored = await storedHashes(spine, [...new Set(unexported)].filter((s) => s <= head));
  for (const s of [...new Set(unexported)].sort((a, b) => a - b)) {
    const anchor: AnchorRecord = { record: 'anchor', seq: s, hash: stored.get(s) ?? null };
    yield emit(rec(anchor));
    records++;
  }
  for (const c of chosen) {
    const cp: CheckpointRecord = { record: 'checkpoint', ...c };
    yield emit(rec(cp));
    records++;
  }

  const statement: TrailerStatement = { type: 'spine.export', records, digest: digest.digest('hex'), verification, keyId: key.keyId, signedAt: new Date().toISOString() };
  yield rec({ record: 'trailer', ...statement, signature: key.sign(trailerMessage(statement)) });
}

function summarize(v: Awaited<ReturnType<typeof verifyLog>>): ExportVerification {
  return {
    ok: v.ok,
    chain: { ok: v.chain.ok, checked: v.chain.checked, fromSeq: v.chain.fromSeq, toSeq: v.chain.toSeq, firstBadSeq: v.chain.firstBadSeq ?? null, reason: v.chain.reason ?? null },
    checkpoints: { checked: v.checkpoints.checked, matching: v.checkpoints.matching, mismatched: v.checkpoints.mismatched.map((f) => f.seq), beyondHead: v.checkpoints.beyondHead.map((f) => f.seq) },
    firstBadSeq: v.firstBadSeq,
    problems: v.problems,
  };
}
