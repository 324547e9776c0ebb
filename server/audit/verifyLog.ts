/**
 * "Verify integrity" over a seq range: the hash chain (numbering, links, hashes, the head row), and the
 * signed checkpoints against the chain as it is now. A checkpoint whose seq now has a different hash means
 * the chain was rewritten; a checkpoint beyond the head means the tail was cut off. Both are invisible to
 * the hash chain alone.
 *
 * Which checkpoints are checked: every one in the range, every one beyond the head, the latest one (a
 * rewritten or truncated tail fails every check, wherever its range), and the one that vouches for the
 * range: the nearest checkpoint at or after the range's end. The chain is recomputed from the range's
 * start up to that checkpoint, so its signed hash covers every event of the range (each hash covers the
 * one before it). Events after the latest checkpoint are checked by the chain only, and said so
 * (`unvouched`): no signature covers them yet.
 */
import { logQueries, type Spine, type VerifyResult } from '@/server/spine';
import type { SignedCheckpoint } from './checkpoint';
import type { SigningKey } from './signingKey';
import { verifyCheckpoint } from './checkpoint';

export type CheckpointFinding = { seq: number; signedAt: string; keyId: string; signedHash: string; storedHash: string | null };

/** A checkpoint named in a verdict: `number` is its place among this key's checkpoints (1 = the first signed). */
export type CheckpointRef = { number: number; seq: number; keyId: string; signedAt: string; hash: string; reason: SignedCheckpoint['reason'] };

export type AuditVerification = {
  ok: boolean;
  fromSeq: number;
  toSeq: number;
  head: number;
  /** The chain from `fromSeq` to `toSeq`, or on to the vouching checkpoint when that lies beyond `toSeq`. */
  chain: VerifyResult;
  /** The signed checkpoint whose hash covers the whole range, when it matches the chain (null otherwise). */
  vouchedBy: CheckpointRef | null;
  /** The part of the range after the latest signed checkpoint: checked by the chain only. */
  unvouched: { fromSeq: number; toSeq: number } | null;
  checkpoints: {
    /** Checkpoints that were checked (see the file comment). */
    checked: number;
    matching: number;
    /** Signed hash differs from the stored one, or the row is gone: rewritten or deleted. */
    mismatched: CheckpointFinding[];
    /** Signed for a seq the log no longer reaches: truncated. */
    beyondHead: CheckpointFinding[];
    /** Not signed by this installation's key (or the signature does not verify). */
    unverified: CheckpointFinding[];
    latest: SignedCheckpoint | null;
    /** The latest checkpoint signed by this installation's key. */
    latestSigned: CheckpointRef | null;
  };
  /** The lowest seq at which something is wrong (for a rewrite: the first seq no checkpoint vouches for any more). */
  firstBadSeq: number | null;
  /** What is wrong, first finding first, for people. */
  problems: string[];
};

/** The checkpoints signed by `key` whose signature verifies, by seq, each with its place. */
export function trustedCheckpoints(key: SigningKey, checkpoints: SignedCheckpoint[]): CheckpointRef[] {
  return checkpoints
    .filter((c) => verifyCheckpoint(key, c))
    .sort((a, b) => a.seq - b.seq || a.signedAt.localeCompare(b.signedAt))
    .map((c, i) => ({ number: i + 1, seq: c.seq, keyId: c.keyId, signedAt: c.signedAt, hash: c.hash, reason: c.reason }));
}

export async function verifyLog(spine: Spine, key: SigningKey, checkpoints: SignedCheckpoint[], fromSeq?: number, toSeq?: number): Promise<AuditVerification> {
  const head = await spine.head();
  const from = Math.max(1, fromSeq ?? 1);
  const to = Math.min(toSeq ?? head, head);
  const trusted = trustedCheckpoints(key, checkpoints);
  const latest = trusted[trusted.length - 1] ?? null;
  const vouching = trusted.find((c) => c.seq >= to && c.seq <= head) ?? null;
  const chainTo = vouching ? Math.max(to, vouching.seq) : to;
  const chain = await spine.verify(from, chainTo);
  // Every trusted checkpoint's stored hash: a mismatch is placed after the last checkpoint that still matches.
  const stored = await storedHashes(spine, [...new Set(trusted.filter((c) => c.seq <= head).map((c) => c.seq))]);
  const matches = (c: { seq: number; hash: string }) => c.seq <= head && stored.get(c.seq) === c.hash;
  const relevant = checkpoints.filter((c) => (c.seq >= from && c.seq <= chainTo) || c.seq > head);
  const bySignature = new Map(relevant.map((c) => [c.signature, c]));
  for (const extra of [vouching, latest]) {
    const c = extra && checkpoints.find((x) => x.seq === extra.seq && x.signedAt === extra.signedAt && verifyCheckpoint(key, x));
    if (c) bySignature.set(c.signature, c);
  }
  const findings = { mismatched: [] as CheckpointFinding[], beyondHead: [] as CheckpointFinding[], unverified: [] as CheckpointFinding[] };
  let matching = 0;
  for (const c of [...bySignature.values()].sort((a, b) => a.seq - b.seq)) {
    const f: CheckpointFinding = { seq: c.seq, signedAt: c.signedAt, keyId: c.keyId, signedHash: c.hash, storedHash: stored.get(c.seq) ?? null };
    if (!verifyCheckpoint(key, c)) findings.unverified.push(f);
    else if (c.seq > head) findings.beyondHead.push(f);
    else if (f.storedHash !== c.hash) findings.mismatched.push(f);
    else matching++;
  }
  const problems: string[] = [];
  const bad: number[] = [];
  if (!chain.ok && chain.firstBadSeq !== undefined) {
    bad.push(chain.firstBadSeq);
    problems.push(`The hash chain breaks at seq ${chain.firstBadSeq}: ${REASONS[chain.reason ?? 'hash_mismatch']}.`);
  }
  for (const f of findings.mismatched) {
    // Everything up to the last checkpoint before it that still matches is vouched for; the rest is not.
    const before = trusted.filter((c) => c.seq < f.seq && matches(c)).pop();
    const since = before ? before.seq + 1 : 1;
    bad.push(since);
    problems.push(
      f.storedHash === null
        ? `Seq ${f.seq} was signed at ${f.signedAt} but is missing from the log now.`
        : `Seq ${f.seq} no longer has the hash signed at ${f.signedAt}: the chain was rewritten${since < f.seq ? ` somewhere from seq ${since} on` : ''}.`,
    );
  }
  for (const f of findings.beyondHead) {
    bad.push(head + 1);
    problems.push(`A checkpoint signed at ${f.signedAt} vouches for seq ${f.seq}, but the log ends at seq ${head}: its tail was cut off.`);
  }
  for (const f of findings.unverified) problems.push(`The checkpoint for seq ${f.seq} (key ${f.keyId}) is not signed by this installation's key.`);
  const ok = chain.ok && findings.mismatched.length === 0 && findings.beyondHead.length === 0;
  const unvouchedFrom = Math.max(from, (latest && latest.seq <= head ? latest.seq : 0) + 1);
  return {
    ok,
    fromSeq: from,
    toSeq: to,
    head,
    chain,
    vouchedBy: ok && vouching && to >= from ? vouching : null,
    unvouched: ok && !vouching && unvouchedFrom <= to ? { fromSeq: unvouchedFrom, toSeq: to } : null,
    checkpoints: { checked: bySignature.size, matching, ...findings, latest: checkpoints[checkpoints.length - 1] ?? null, latestSigned: latest },
    firstBadSeq: bad.length ? Math.min(...bad) : null,
    problems,
  };
}

export const REASONS: Record<NonNullable<VerifyResult['reason']>, string> = {
  hash_mismatch: 'the event’s content no longer matches its recorded hash (edited)',
  broken_link: 'the event does not link to the one before it (a row was replaced or reordered)',
  seq_gap: 'a seq is missing (a row was deleted)',
  head_mismatch: 'the last event does not match the recorded head',
};

export async function storedHashes(spine: Spine, seqs: number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const sql = logQueries(spine.log);
  for (let i = 0; i < seqs.length; i += 500) {
    const chunk = seqs.slice(i, i + 500);
    if (!chunk.length) continue;
    const rows = await sql.all<{ seq: unknown; hash: string }>(`SELECT seq, hash FROM events WHERE seq IN (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) out.set(Number(r.seq), r.hash);
  }
  return out;
}
