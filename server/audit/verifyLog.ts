/**
 * "Verify integrity" over a seq range: the hash chain (numbering, links, hashes, the head row), and every
 * signed checkpoint against the chain as it is now. A checkpoint whose seq now has a different hash means
 * the chain was rewritten; a checkpoint beyond the head means the tail was cut off. Both are invisible to
 * the hash chain alone.
 */
import type { Spine, VerifyResult } from '@/server/spine';
import { sqlOf } from '@/server/observability/sql';
import type { SignedCheckpoint } from './checkpoint';
import type { SigningKey } from './signingKey';
import { verifyCheckpoint } from './checkpoint';

export type CheckpointFinding = { seq: number; signedAt: string; keyId: string; signedHash: string; storedHash: string | null };

export type AuditVerification = {
  ok: boolean;
  fromSeq: number;
  toSeq: number;
  head: number;
  chain: VerifyResult;
  checkpoints: {
    /** Checkpoints in the range (and beyond the head) that were checked. */
    checked: number;
    matching: number;
    /** Signed hash differs from the stored one, or the row is gone: rewritten or deleted. */
    mismatched: CheckpointFinding[];
    /** Signed for a seq the log no longer reaches: truncated. */
    beyondHead: CheckpointFinding[];
    /** Not signed by this installation's key (or the signature does not verify). */
    unverified: CheckpointFinding[];
    latest: SignedCheckpoint | null;
  };
  /** The lowest seq at which something is wrong. */
  firstBadSeq: number | null;
  /** What is wrong, first finding first, for people. */
  problems: string[];
};

export async function verifyLog(spine: Spine, key: SigningKey, checkpoints: SignedCheckpoint[], fromSeq?: number, toSeq?: number): Promise<AuditVerification> {
  const head = await spine.head();
  const from = Math.max(1, fromSeq ?? 1);
  const to = Math.min(toSeq ?? head, head);
  const chain = await spine.verify(from, to);
  const relevant = checkpoints.filter((c) => (c.seq >= from && c.seq <= to) || c.seq > head);
  const stored = await storedHashes(spine, relevant.filter((c) => c.seq <= head).map((c) => c.seq));
  const findings = { mismatched: [] as CheckpointFinding[], beyondHead: [] as CheckpointFinding[], unverified: [] as CheckpointFinding[] };
  let matching = 0;
  for (const c of relevant) {
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
    bad.push(f.seq);
    problems.push(
      f.storedHash === null
        ? `Seq ${f.seq} was signed at ${f.signedAt} but is missing from the log now.`
        : `Seq ${f.seq} no longer has the hash signed at ${f.signedAt}: the chain was rewritten.`,
    );
  }
  for (const f of findings.beyondHead) {
    bad.push(head + 1);
    problems.push(`A checkpoint signed at ${f.signedAt} vouches for seq ${f.seq}, but the log ends at seq ${head}: its tail was cut off.`);
  }
  for (const f of findings.unverified) problems.push(`The checkpoint for seq ${f.seq} (key ${f.keyId}) is not signed by this installation's key.`);
  const ok = chain.ok && findings.mismatched.length === 0 && findings.beyondHead.length === 0;
  return {
    ok,
    fromSeq: from,
    toSeq: to,
    head,
    chain,
    checkpoints: { checked: relevant.length, matching, ...findings, latest: checkpoints[checkpoints.length - 1] ?? null },
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
  const sql = sqlOf(spine.log);
  for (let i = 0; i < seqs.length; i += 500) {
    const chunk = seqs.slice(i, i + 500);
    if (!chunk.length) continue;
    const rows = await sql.all<{ seq: unknown; hash: string }>(`SELECT seq, hash FROM events WHERE seq IN (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) out.set(Number(r.seq), r.hash);
  }
  return out;
}
