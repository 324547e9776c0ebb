/** Types for scripts/spine-verify.mjs (the offline verifier is plain JavaScript so it runs anywhere Node does). */
export type VerifyProblem = { code: string; seq?: number; message: string };
export type VerifyReport = {
  ok: boolean;
  format: 'jsonl' | 'csv';
  scope: { kind: 'range'; fromSeq: number; toSeq: number } | { kind: 'run'; runId: string; fromSeq: number | null; toSeq: number | null; events: number } | null;
  exportedAt: string | null;
  head: { seq: number; hash: string | null } | null;
  events: number;
  /** Events whose payload is stored by reference (a blob), each checked against the SHA-256 its stub names. */
  blobs: number;
  checkpoints: number;
  trusted: boolean;
  firstBadSeq: number | null;
  problems: VerifyProblem[];
  notes: string[];
};
export const GENESIS_HASH: string;
export function canonicalJson(v: unknown): string;
export function blobRefOf(storedText: string): { sha256: string; bytes: number } | null;
export function hashEvent(e: {
  prevHash: string; seq: number; id: string; type: string; key: string | null; runId: string | null; causationId: string | null;
  sourceKind: string; sourceName: string; timeMs: number; envelopeVersion: number | null; idempotencyKey: string | null; payloadText: string;
}): string;
export function parsePublicKeys(pemText: string): { keyId: string; key: import('node:crypto').KeyObject }[];
export function verifyExport(bytes: Uint8Array | string, opts?: { publicKeys?: string[]; format?: 'jsonl' | 'csv' }): VerifyReport;
