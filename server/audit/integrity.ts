/**
 * One event's integrity, for the event drawer: does its stored hash match its content, does it link to
 * the row before it, and does a signed checkpoint vouch for it? The nearest checkpoint at or after the
 * event vouches for it when the chain from the event to that checkpoint recomputes and ends in the hash
 * the checkpoint signed; so a rewrite with every hash recomputed (which the row alone cannot show) fails
 * here. A log whose tail was cut off or rewritten (the latest checkpoint is beyond the head, or its seq
 * no longer has the signed hash) fails for every event. Fast: the chain from the event to its checkpoint
 * only (checkpoints are at most `everyEvents` apart, 1,000 by default), plus two rows.
 */
import { EVENT_COLUMNS, GENESIS_HASH, hashRow, logQueries, toStoredRow, type DbRow, type Spine } from '@/server/spine';
import type { SignedCheckpoint } from './checkpoint';
import type { SigningKey } from './signingKey';
import { REASONS, storedHashes, trustedCheckpoints, type CheckpointRef } from './verifyLog';

export const INTEGRITY_PROBLEM_CODES = ['checkpoint.chain_broken', 'checkpoint.mismatch', 'checkpoint.beyond_head', 'checkpoint.latest_mismatch'] as const;
export type IntegrityProblemCode = (typeof INTEGRITY_PROBLEM_CODES)[number];
export type IntegrityProblem = { code: IntegrityProblemCode; message: string; checkpoint: CheckpointRef; firstBadSeq?: number };

export type EventIntegrity = {
  seq: number;
  ok: boolean;
  /** The stored hash equals the hash of the stored content. */
  hashOk: boolean;
  /** prevHash equals the previous row's hash (genesis for seq 1). */
  linkOk: boolean;
  previousMissing: boolean;
  storedHash: string;
  computedHash: string;
  /** The checkpoint whose signed hash the chain from this event reproduces; null when none does (yet). */
  vouchedBy: CheckpointRef | null;
  /** No checkpoint has been signed at or after this event yet (not a failure: the next one will cover it). */
  pending: boolean;
  /** What the checkpoints say is wrong, beyond the row itself. */
  problems: IntegrityProblem[];
};

export async function checkEvent(spine: Spine, key: SigningKey, checkpoints: SignedCheckpoint[], seq: number): Promise<EventIntegrity | null> {
  const rows = await logQueries(spine.log).all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (?, ?)`, [seq - 1, seq]);
  const row = rows.find((r) => Number(r.seq) === seq);
  if (!row) return null;
  const prev = rows.find((r) => Number(r.seq) === seq - 1);
  const stored = toStoredRow(row);
  const computedHash = hashRow(stored.prevHash, stored);
  // A payload stored by reference is part of the content: its blob must match the SHA-256 the row names.
  const blob = await spine.log.blobStatus(stored.payload);
  const hashOk = computedHash === stored.hash && (blob === 'inline' || blob === 'ok');
  const previousMissing = seq > 1 && !prev;
  const linkOk = seq === 1 ? stored.prevHash === GENESIS_HASH : !!prev && prev.hash === stored.prevHash;

  const head = await spine.head();
  const trusted = trustedCheckpoints(key, checkpoints);
  const latest = trusted[trusted.length - 1] ?? null;
  const vouching = trusted.find((c) => c.seq >= seq && c.seq <= head) ?? null;
  const at = await storedHashes(spine, [...new Set([vouching?.seq, latest?.seq].filter((s): s is number => s !== undefined && s <= head))]);
  const problems: IntegrityProblem[] = [];
  const signed = (c: CheckpointRef) => `checkpoint #${c.number} (seq ${c.seq}, signed at ${c.signedAt})`;
  if (vouching) {
    const chain = await spine.verify(seq, vouching.seq);
    if (!chain.ok && chain.firstBadSeq !== seq)
      problems.push({
        code: 'checkpoint.chain_broken',
        checkpoint: vouching,
        firstBadSeq: chain.firstBadSeq,
        message: `The chain from this event to ${signed(vouching)} breaks at seq ${chain.firstBadSeq}: ${REASONS[chain.reason ?? 'hash_mismatch']}.`,
      });
    else if (chain.ok && at.get(vouching.seq) !== vouching.hash)
      problems.push({
        code: 'checkpoint.mismatch',
        checkpoint: vouching,
        message: `The chain from this event no longer reproduces the hash signed in ${signed(vouching)}: the log was rewritten (every hash recomputed) at or after this event.`,
      });
  }
  if (latest && latest.seq > head)
    problems.push({ code: 'checkpoint.beyond_head', checkpoint: latest, firstBadSeq: head + 1, message: `${cap(signed(latest))} vouches for seq ${latest.seq}, but the log ends at seq ${head}: its tail was cut off.` });
  else if (latest && latest !== vouching && at.get(latest.seq) !== latest.hash)
    problems.push({ code: 'checkpoint.latest_mismatch', checkpoint: latest, message: `Seq ${latest.seq} no longer has the hash signed in ${signed(latest)}: the log was rewritten after this event.` });

  const rowOk = hashOk && linkOk;
  const ok = rowOk && problems.length === 0;
  return {
    seq,
    ok,
    hashOk,
    linkOk,
    previousMissing,
    storedHash: stored.hash,
    computedHash,
    vouchedBy: ok && vouching ? vouching : null,
    pending: !vouching,
    problems,
  };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
