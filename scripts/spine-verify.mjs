#!/usr/bin/env node
/**
 * spine-verify: checks a Spine audit export offline, with no server and no Spine code, only Node's crypto.
 *
 *   npx spine-verify export.jsonl --pubkey audit-public-key.pem
 *   npx spine-verify export.csv --pubkey key.pem --json
 *
 * The public key is the one your Spine publishes at GET /api/v1/audit/public-key (keep a copy from a
 * trusted moment; pass --pubkey more than once after a key rotation). Without --pubkey the export is
 * checked against the key it carries itself, which proves the file is intact but not who made it.
 *
 * What it checks, and what each check catches:
 *   - every event's hash, recomputed from its content (an edited event);
 *   - every payload stored by reference (a blob): its content against the SHA-256 and size that its
 *     event's hashed stub names (an edited blob), and that the export carries it at all;
 *   - numbering and links between consecutive events (a deleted, inserted or swapped event);
 *   - every signed checkpoint: its Ed25519 signature, and that the event (or anchor) at its seq still
 *     has the signed hash (a chain rewritten from some point on, hashes and all);
 *   - checkpoints signed for a seq beyond the head the export reports (a truncated log);
 *   - the signed trailer: SHA-256 of every byte before it and its signature (a file cut short, edited
 *     or reordered after export), and the server's own verification summary.
 *
 * Exit code: 0 verified, 1 problems found, 2 the file is not an export or the arguments could not be read.
 * The same rules as server/spine/log/hashChain.ts (hashRow, canonicalJson), written out independently.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted recursively (the text Spine hashes and signs). */
export function canonicalJson(v) {
  if (v === null || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('not a finite number');
    return String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  throw new TypeError(`${typeof v} is not JSON`);
}

const BLOB_STUB_PREFIX = '{"$blob":';

/** The blob a stored payload text refers to (`{"$blob":{"bytes":N,"sha256":"…"},…}`), or null. */
export function blobRefOf(storedText) {
  if (typeof storedText !== 'string' || !storedText.startsWith(BLOB_STUB_PREFIX)) return null;
  let ref;
  try {
    ref = JSON.parse(storedText).$blob;
  } catch {
    return null;
  }
  if (typeof ref !== 'object' || ref === null || typeof ref.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(ref.sha256) || !Number.isSafeInteger(ref.bytes) || ref.bytes < 0) return null;
  return { sha256: ref.sha256, bytes: ref.bytes };
}

/** sha256(JSON([prevHash, seq, id, type, key, runId, causationId, sourceKind, sourceName, timeMs, envelopeVersion, idempotencyKey]) + "\n" + payload) */
export function hashEvent(e) {
  const head = JSON.stringify([e.prevHash, e.seq, e.id, e.type, e.key, e.runId, e.causationId, e.sourceKind, e.sourceName, e.timeMs, e.envelopeVersion, e.idempotencyKey]);
  return createHash('sha256').update(head).update('\n').update(e.payloadText).digest('hex');
}

export function keyIdOf(publicKey) {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Public keys from PEM text (one or more `-----BEGIN PUBLIC KEY-----` blocks). */
export function parsePublicKeys(pemText) {
  const blocks = pemText.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  return blocks.map((pem) => {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
    return { keyId: keyIdOf(key), key };
  });
}

function checkpointMessage(c) {
  const { v, type, seq, hash, signedAt, keyId, reason } = c;
  return canonicalJson({ v, type, seq, hash, signedAt, keyId, reason });
}

function trailerMessage(t) {
  const { type, records, digest, verification, keyId, signedAt } = t;
  return canonicalJson({ type, records, digest, verification, keyId, signedAt });
}

function signatureOk(keys, keyId, message, signature) {
  const k = keys.get(keyId);
  if (!k) return 'unknown_key';
  try {
    return verifySignature(null, Buffer.from(message, 'utf8'), k, Buffer.from(String(signature), 'base64')) ? 'ok' : 'bad';
  } catch {
    return 'bad';
  }
}

/* ------------------------------------------------------------------------------------------------
 * Reading the file: records with the byte offset where each starts (the trailer covers the bytes
 * before it).
 * ---------------------------------------------------------------------------------------------- */

const CSV_COLUMNS = ['record', 'seq', 'id', 'type', 'key', 'run_id', 'causation_id', 'source_kind', 'source_name', 'time', 'time_ms', 'envelope_version', 'idempotency_key', 'payload', 'prev_hash', 'hash', 'detail'];

function readJsonl(buf) {
  const records = [];
  const problems = [];
  let start = 0;
  let line = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end === -1) end = buf.length;
    line++;
    const text = buf.subarray(start, end).toString('utf8');
    if (text.trim()) {
      try {
        records.push({ ...JSON.parse(text), _offset: start, _line: line, _complete: end < buf.length });
      } catch {
        problems.push({ code: 'file.bad_line', message: `Line ${line} is not valid JSON.` });
      }
    }
    start = end + 1;
  }
  return { records, problems };
}

function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  let rowStart = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push({ cells: row, start: rowStart, complete: true });
      row = [];
      cell = '';
      rowStart = i + 1;
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push({ cells: row, start: rowStart, complete: false });
  }
  return rows;
}

/** Undo the spreadsheet guard: exactly one leading `'` before = + - @ tab CR or '. */
function unguard(s) {
  return /^'[=+\-@\t\r']/.test(s) ? s.slice(1) : s;
}

function readCsv(buf) {
  const text = buf.toString('utf8');
  const rows = parseCsv(text);
  const problems = [];
  const records = [];
  const header = rows.shift();
  if (!header || header.cells.join(',') !== CSV_COLUMNS.join(',')) {
    problems.push({ code: 'file.not_export', message: 'The first row is not the Spine export column header.' });
    return { records, problems };
  }
  let n = 1;
  for (const r of rows) {
    n++;
    if (r.cells.length === 1 && r.cells[0] === '') continue;
    const c = Object.fromEntries(CSV_COLUMNS.map((name, i) => [name, unguard(r.cells[i] ?? '')]));
    const offset = Buffer.byteLength(text.slice(0, r.start), 'utf8');
    if (r.cells.length !== CSV_COLUMNS.length) {
      problems.push({ code: 'file.bad_line', message: `Row ${n} has ${r.cells.length} cells, not ${CSV_COLUMNS.length}.` });
      continue;
    }
    if (c.record === 'event') {
      const nul = (s) => (s === '' ? null : s);
      let stored;
      if (c.detail !== '') {
        try {
          stored = JSON.parse(c.detail).payloadStored;
        } catch {
          problems.push({ code: 'file.bad_line', message: `Row ${n}: the detail column is not valid JSON.` });
          continue;
        }
      }
      records.push({
        ...(stored !== undefined && { payloadStored: stored }),
        record: 'event', seq: Number(c.seq), id: c.id, type: c.type, key: nul(c.key), runId: nul(c.run_id), causationId: nul(c.causation_id),
        source: { kind: c.source_kind, name: c.source_name }, time: c.time, timeMs: Number(c.time_ms),
        envelopeVersion: c.envelope_version === '' ? null : Number(c.envelope_version), idempotencyKey: nul(c.idempotency_key),
        payloadText: c.payload, prevHash: c.prev_hash, hash: c.hash, _offset: offset, _line: n, _complete: r.complete,
      });
    } else {
      try {
        records.push({ ...JSON.parse(c.detail), _offset: offset, _line: n, _complete: r.complete });
      } catch {
        problems.push({ code: 'file.bad_line', message: `Row ${n}: the detail column is not valid JSON.` });
      }
    }
  }
  return { records, problems };
}

/* ------------------------------------------------------------------------------------------------
 * Verification
 * ---------------------------------------------------------------------------------------------- */

/**
 * Verifies an export's bytes. `publicKeys`: PEM texts of trusted keys (none: use the export's own).
 * Returns { ok, problems: [{ code, seq?, message }], firstBadSeq, notes, summary }.
 */
export function verifyExport(bytes, { publicKeys = [], format } = {}) {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  const fmt = format ?? (buf.subarray(0, 1).toString() === '{' ? 'jsonl' : 'csv');
  const { records, problems } = fmt === 'jsonl' ? readJsonl(buf) : readCsv(buf);
  const notes = [];
  const events = [];
  const anchors = new Map();
  const checkpoints = [];
  let prev = null;
  let byReference = 0;
  const bad = (code, message, seq) => problems.push(seq === undefined ? { code, message } : { code, seq, message });

  const header = records[0]?.record === 'header' ? records[0] : null;
  if (!header) {
    if (!problems.some((p) => p.code === 'file.not_export')) bad('file.not_export', 'The file does not start with a Spine export header.');
    return finish();
  }
  if (header.format !== 'spine.audit.export' || (header.formatVersion !== 1 && header.formatVersion !== 2)) bad('file.unsupported', `Unsupported export format ${header.format} v${header.formatVersion}.`);

  // Keys: the trusted ones, or the export's own (integrity only).
  const keys = new Map();
  if (publicKeys.length) for (const pem of publicKeys) for (const k of parsePublicKeys(pem)) keys.set(k.keyId, k.key);
  else {
    for (const k of header.keys ?? []) {
      try {
        for (const p of parsePublicKeys(k.publicKey)) keys.set(p.keyId, p.key);
      } catch {
        /* reported below as unknown keys */
      }
    }
    notes.push('No --pubkey given: signatures were checked against the key inside the export. That proves the file is intact, not who made it; pass the key your Spine publishes at /api/v1/audit/public-key.');
  }

  // The trailer: last record, signed, covering every byte before it.
  const last = records[records.length - 1];
  const trailer = last?.record === 'trailer' && last._complete ? last : null;
  if (!trailer) bad('file.incomplete', 'The export has no complete signed trailer: the file was cut short (or is not a finished export).');
  else {
    const digest = createHash('sha256').update(buf.subarray(0, trailer._offset)).digest('hex');
    if (digest !== trailer.digest) bad('trailer.digest_mismatch', 'The file’s bytes differ from what was signed at export: it was edited, reordered or cut after export.');
    const sig = signatureOk(keys, trailer.keyId, trailerMessage(trailer), trailer.signature);
    if (sig === 'unknown_key') bad('trailer.unknown_key', `The export was signed by key ${trailer.keyId}, which is not a trusted key.`);
    else if (sig === 'bad') bad('trailer.bad_signature', 'The export’s signature does not verify.');
    if (trailer.records !== records.length - 1) bad('trailer.count_mismatch', `The trailer covers ${trailer.records} records, the file has ${records.length - 1}.`);
    const v = trailer.verification;
    if (v && v.ok === false) {
      for (const p of v.problems ?? []) bad('server.found_problem', `At export time the server found: ${p}`, v.firstBadSeq ?? undefined);
      if (!(v.problems ?? []).length) bad('server.found_problem', 'At export time the server reported the chain as broken.', v.firstBadSeq ?? undefined);
    }
  }

  const scope = header.scope ?? {};
  for (const r of records.slice(1, trailer ? -1 : undefined)) {
    if (r.record === 'event') events.push(r);
    else if (r.record === 'anchor') anchors.set(r.seq, r.hash);
    else if (r.record === 'checkpoint') checkpoints.push(r);
    else if (r.record === 'trailer') bad('file.misplaced_trailer', `Line ${r._line}: a trailer before the end of the file.`);
    else if (r.record !== 'header') bad('file.unknown_record', `Line ${r._line}: unknown record '${r.record}'.`);
  }

  // Events: content against hash; order, numbering and links.
  const hashBySeq = new Map();
  for (const r of events) {
    let e;
    let content;
    try {
      // `payload` (or `payloadText`) is the event's payload; `payloadStored`, when present, is the stub its
      // row holds instead (a payload stored by reference), which is what the chain hashed.
      content = typeof r.payloadText === 'string' ? r.payloadText : canonicalJson(r.payload);
      e = {
        seq: r.seq, id: r.id, type: r.type, key: r.key ?? null, runId: r.runId ?? null, causationId: r.causationId ?? null, sourceKind: r.source?.kind,
        sourceName: r.source?.name, timeMs: r.timeMs, envelopeVersion: r.envelopeVersion ?? null, idempotencyKey: r.idempotencyKey ?? null,
        payloadText: r.payloadStored !== undefined ? canonicalJson(r.payloadStored) : content, prevHash: r.prevHash, hash: r.hash,
      };
    } catch {
      bad('event.bad_record', `Line ${r._line}: the event cannot be read.`, r.seq);
      continue;
    }
    if (!Number.isSafeInteger(e.seq)) {
      bad('event.bad_record', `Line ${r._line}: the event has no valid seq.`);
      continue;
    }
    if (hashEvent(e) !== e.hash) bad('event.hash_mismatch', `Seq ${e.seq}: the event’s content does not match its recorded hash (it was edited).`, e.seq);
    const ref = blobRefOf(e.payloadText);
    if (ref) {
      byReference++;
      if (r.payloadStored === undefined) bad('event.blob_missing', `Seq ${e.seq}: its payload is stored by reference (blob ${ref.sha256.slice(0, 12)}…) and the export does not carry it: it was missing on the server.`, e.seq);
      else {
        const bytes = Buffer.from(content, 'utf8');
        if (bytes.length !== ref.bytes || createHash('sha256').update(bytes).digest('hex') !== ref.sha256)
          bad('event.blob_mismatch', `Seq ${e.seq}: its payload (stored by reference, blob ${ref.sha256.slice(0, 12)}…) does not match the SHA-256 its event records: the payload was altered.`, e.seq);
      }
    } else if (r.payloadStored !== undefined) bad('event.bad_record', `Line ${r._line}: seq ${e.seq} has a payloadStored that is not a blob reference.`, e.seq);
    if (typeof r.time === 'string' && Number.isFinite(e.timeMs) && new Date(e.timeMs).toISOString() !== r.time) bad('event.time_mismatch', `Seq ${e.seq}: its time field disagrees with the hashed timeMs.`, e.seq);
    if (hashBySeq.has(e.seq)) bad('event.duplicate', `Seq ${e.seq} appears twice.`, e.seq);
    if (prev && e.seq < prev.seq) bad('event.out_of_order', `Seq ${e.seq} comes after seq ${prev.seq}: events were reordered.`, e.seq);
    if (scope.kind === 'range') {
      const expected = prev ? prev.seq + 1 : scope.fromSeq;
      if (e.seq > expected) bad('event.missing', expected === e.seq - 1 ? `Seq ${expected} is missing (deleted).` : `Seqs ${expected}–${e.seq - 1} are missing (deleted).`, expected);
      const expectedPrev = prev ? prev.hash : header.prevHash;
      if (e.seq === expected && expectedPrev && e.prevHash !== expectedPrev) bad('event.broken_link', `Seq ${e.seq} does not link to the event before it (replaced, inserted or swapped).`, e.seq);
      if (e.seq < scope.fromSeq || e.seq > scope.toSeq) bad('event.outside_scope', `Seq ${e.seq} is outside the exported range ${scope.fromSeq}–${scope.toSeq}.`, e.seq);
    } else if (scope.kind === 'run') {
      if (e.runId !== scope.runId) bad('event.outside_scope', `Seq ${e.seq} belongs to run ${e.runId}, not ${scope.runId}.`, e.seq);
      if (prev && e.seq === prev.seq + 1 && e.prevHash !== prev.hash) bad('event.broken_link', `Seq ${e.seq} does not link to seq ${prev.seq}.`, e.seq);
      if (e.seq === 1 && e.prevHash !== GENESIS_HASH) bad('event.broken_link', 'Seq 1 does not start from the genesis hash.', 1);
    }
    hashBySeq.set(e.seq, e.hash);
    prev = e;
  }
  if (scope.kind === 'range') {
    const lastSeq = prev?.seq ?? scope.fromSeq - 1;
    if (lastSeq < scope.toSeq) bad('event.missing', lastSeq + 1 === scope.toSeq ? `Seq ${scope.toSeq} is missing at the end of the range.` : `Seqs ${lastSeq + 1}–${scope.toSeq} are missing at the end of the range.`, lastSeq + 1);
    if (scope.toSeq === header.head?.seq && prev && prev.seq === scope.toSeq && header.head.hash && prev.hash !== header.head.hash) bad('head.mismatch', `The last event (seq ${prev.seq}) does not match the head recorded at export.`, prev.seq);
  } else if (scope.kind === 'run' && events.length !== scope.events) {
    bad('event.missing', `The run had ${scope.events} events at export; the file has ${events.length}.`);
  }

  // Checkpoints: signature, then the chain as exported against what was signed.
  let covered = 0;
  const headSeq = header.head?.seq ?? Infinity;
  for (const c of checkpoints) {
    const sig = signatureOk(keys, c.keyId, checkpointMessage(c), c.signature);
    if (sig !== 'ok') {
      bad(sig === 'unknown_key' ? 'checkpoint.unknown_key' : 'checkpoint.bad_signature', sig === 'unknown_key' ? `The checkpoint for seq ${c.seq} was signed by key ${c.keyId}, which is not trusted.` : `The checkpoint for seq ${c.seq} has a signature that does not verify.`, c.seq);
      continue;
    }
    if (c.seq > headSeq) {
      bad('checkpoint.beyond_head', `A checkpoint signed at ${c.signedAt} vouches for seq ${c.seq}, but the log ended at seq ${headSeq} when exported: its tail was cut off.`, headSeq + 1);
      continue;
    }
    const actual = hashBySeq.has(c.seq) ? hashBySeq.get(c.seq) : anchors.has(c.seq) ? anchors.get(c.seq) : undefined;
    if (actual === undefined) continue;
    if (actual === null) bad('checkpoint.missing_event', `Seq ${c.seq} was signed at ${c.signedAt} but was missing from the log at export.`, c.seq);
    else if (actual !== c.hash) bad('checkpoint.mismatch', `Seq ${c.seq} no longer has the hash signed at ${c.signedAt}: the chain was rewritten.`, c.seq);
    else covered = Math.max(covered, c.seq);
  }
  if (scope.kind === 'run') notes.push('Run export: each event’s content is checked against its hash; the chain around it is attested by the server’s signed summary. Export a seq range to check the chain yourself.');
  const lastEventSeq = prev?.seq ?? 0;
  if (covered > 0 && covered < lastEventSeq) notes.push(`Events after seq ${covered} are covered by the export’s signature, not yet by a signed checkpoint.`);

  return finish();

  function finish() {
    const seqs = problems.map((p) => p.seq).filter((s) => typeof s === 'number');
    return {
      ok: problems.length === 0,
      format: fmt,
      scope: header?.scope ?? null,
      exportedAt: header?.exportedAt ?? null,
      head: header?.head ?? null,
      events: events.length,
      blobs: byReference,
      checkpoints: checkpoints.length,
      trusted: publicKeys.length > 0,
      firstBadSeq: seqs.length ? Math.min(...seqs) : null,
      problems,
      notes,
    };
  }
}

/* ------------------------------------------------------------------------------------------------
 * Command line
 * ---------------------------------------------------------------------------------------------- */

const USAGE = 'usage: spine-verify <export.jsonl|export.csv> [--pubkey key.pem ...] [--json]';

function main(argv) {
  const files = [];
  const keyFiles = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--pubkey' || a === '--key') keyFiles.push(argv[++i]);
    else if (a.startsWith('--pubkey=')) keyFiles.push(a.slice('--pubkey='.length));
    else if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith('-')) {
      console.error(`spine-verify: unknown option ${a}\n${USAGE}`);
      return 2;
    } else files.push(a);
  }
  if (files.length !== 1 || keyFiles.some((k) => !k)) {
    console.error(USAGE);
    return 2;
  }
  let bytes;
  let keys;
  try {
    bytes = readFileSync(files[0]);
    keys = keyFiles.map((f) => readFileSync(f, 'utf8'));
    for (const k of keys) if (parsePublicKeys(k).length === 0) throw new Error('no PEM public key in a --pubkey file');
  } catch (e) {
    console.error(`spine-verify: ${e.message}`);
    return 2;
  }
  const format = files[0].toLowerCase().endsWith('.csv') ? 'csv' : files[0].toLowerCase().endsWith('.jsonl') ? 'jsonl' : undefined;
  const r = verifyExport(bytes, { publicKeys: keys, format });
  if (json) {
    console.log(JSON.stringify(r, null, 2));
    return r.ok ? 0 : 1;
  }
  const s = r.scope;
  const what = !s ? 'unknown scope' : s.kind === 'run' ? `run ${s.runId} (${s.events} events, seq ${s.fromSeq}–${s.toSeq})` : `seq ${s.fromSeq}–${s.toSeq}`;
  console.log(`spine-verify ${files[0]}`);
  console.log(`  scope        ${what}`);
  if (r.exportedAt) console.log(`  exported     ${r.exportedAt}, log head at seq ${r.head?.seq}`);
  console.log(`  events       ${r.events} checked${r.blobs ? ` (${r.blobs} with a payload stored by reference)` : ''}`);
  console.log(`  checkpoints  ${r.checkpoints} checked`);
  console.log(`  keys         ${r.trusted ? 'trusted (--pubkey)' : 'UNTRUSTED: the export’s own key'}`);
  for (const n of r.notes) console.log(`  note: ${n}`);
  console.log('');
  if (r.ok) {
    console.log('VERIFIED: the chain, its checkpoints and the export are intact.');
    return 0;
  }
  if (r.problems.some((p) => p.code === 'file.not_export' || p.code === 'file.unsupported')) {
    for (const p of r.problems) console.log(`  ✗ ${p.message}`);
    console.log('\nNOT VERIFIED: this is not a Spine audit export (or a format this verifier does not know).');
    return 2;
  }
  const shown = r.problems.slice(0, 50);
  for (const p of shown) console.log(`  ✗ ${p.message}`);
  if (r.problems.length > shown.length) console.log(`  … and ${r.problems.length - shown.length} more`);
  console.log('');
  console.log(`TAMPERED: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}${r.firstBadSeq !== null ? `, first at seq ${r.firstBadSeq}` : ''}.`);
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
