/**
 * A signed checkpoint: "at `signedAt`, the chain's event `seq` had hash `hash`", signed with the audit
 * key. A hash chain shows that rows were changed, but not that the whole chain was recomputed after a
 * change, nor that its tail was cut off; a checkpoint signed at the time does both, because nobody
 * without the key can make an old signature agree with a new chain.
 *
 * The signed message is the canonical JSON of the statement (sorted keys, no signature field), so any
 * implementation can rebuild it; scripts/spine-verify.mjs does, without importing Spine.
 */
import { z } from 'zod';
import { canonicalJson } from '@/server/spine';
import type { SigningKey } from './signingKey';

export const CHECKPOINT_EVENT_TYPE = 'audit.checkpoint_signed';
export const CHECKPOINT_REASONS = ['interval', 'export', 'manual'] as const;

export const CheckpointStatement = z
  .object({
    v: z.literal(1),
    type: z.literal('spine.checkpoint'),
    seq: z.number().int().min(1),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    signedAt: z.iso.datetime(),
    keyId: z.string().min(1).max(64),
    reason: z.enum(CHECKPOINT_REASONS),
  })
  .strict();
export type CheckpointStatement = z.infer<typeof CheckpointStatement>;

export const SignedCheckpoint = CheckpointStatement.extend({ signature: z.string().min(1).max(200) }).strict();
export type SignedCheckpoint = z.infer<typeof SignedCheckpoint>;

/** The exact text that is signed. */
export function checkpointMessage(c: CheckpointStatement): string {
  const { v, type, seq, hash, signedAt, keyId, reason } = c;
  return canonicalJson({ v, type, seq, hash, signedAt, keyId, reason });
}

export function signCheckpoint(key: SigningKey, at: { seq: number; hash: string }, reason: CheckpointStatement['reason'], now = new Date()): SignedCheckpoint {
  const statement: CheckpointStatement = { v: 1, type: 'spine.checkpoint', seq: at.seq, hash: at.hash, signedAt: now.toISOString(), keyId: key.keyId, reason };
  return { ...statement, signature: key.sign(checkpointMessage(statement)) };
}

export function verifyCheckpoint(key: SigningKey, c: SignedCheckpoint): boolean {
  return c.keyId === key.keyId && key.verify(checkpointMessage(c), c.signature);
}

/** Parses a checkpoint from an event payload or a journal line; null when it is not one. */
export function parseCheckpoint(raw: unknown): SignedCheckpoint | null {
  const r = SignedCheckpoint.safeParse(raw);
  return r.success ? r.data : null;
}

/** Journal ∪ log, one per signature, ordered by seq then time. */
export function mergeCheckpoints(...lists: SignedCheckpoint[][]): SignedCheckpoint[] {
  const bySig = new Map<string, SignedCheckpoint>();
  for (const list of lists) for (const c of list) if (!bySig.has(c.signature)) bySig.set(c.signature, c);
  return [...bySig.values()].sort((a, b) => a.seq - b.seq || a.signedAt.localeCompare(b.signedAt));
}
