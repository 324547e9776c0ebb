/**
 * One event's integrity, checked on its own: does its stored hash match its content, and does it link to
 * the row before it? Used by the event drawer to mark a tampered event unmistakably; the full chain check
 * is `spine.verify` (and `verifyLog` with checkpoints).
 */
import type { EventLog } from '@/server/spine';
import { GENESIS_HASH, hashRow } from '@/server/spine/log/hashChain';
import { EVENT_COLUMNS, toStoredRow, type DbRow } from '@/server/spine/log/rows';
import { sqlOf } from '@/server/observability/sql';

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
};

export async function checkEvent(log: EventLog, seq: number): Promise<EventIntegrity | null> {
  const rows = await sqlOf(log).all<DbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (?, ?)`, [seq - 1, seq]);
  const row = rows.find((r) => Number(r.seq) === seq);
  if (!row) return null;
  const prev = rows.find((r) => Number(r.seq) === seq - 1);
  const stored = toStoredRow(row);
  const computedHash = hashRow(stored.prevHash, stored);
  // A payload stored by reference is part of the content: its blob must match the SHA-256 the row names.
  const blob = await log.blobStatus(stored.payload);
  const hashOk = computedHash === stored.hash && (blob === 'inline' || blob === 'ok');
  const previousMissing = seq > 1 && !prev;
  const linkOk = seq === 1 ? stored.prevHash === GENESIS_HASH : !!prev && prev.hash === stored.prevHash;
  return { seq, ok: hashOk && linkOk, hashOk, linkOk, previousMissing, storedHash: stored.hash, computedHash };
}
