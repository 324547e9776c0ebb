/**
 * Large payloads by reference (claim-check): the row format. Pure, no I/O.
 *
 * A payload whose canonical JSON is over the inline limit is stored once, outside the event row, as a
 * *blob* keyed by the SHA-256 of that exact text. The row's payload column holds a small *stub* instead:
 *
 *   {"$blob":{"bytes":5242880,"sha256":"9f86…"},"attempt":1,"nodeId":"summarize"}
 *
 * that is, the reference plus the payload's short top-level scalars (identifier keys only, cheapest first,
 * 512 bytes at most), so SQL over `payload` (metrics, run listings) still finds `nodeId`, `attempt` or
 * `durationMs`. The hash chain covers the stub exactly as it covers an inline payload, and the stub names the
 * blob's SHA-256, so the blob's content is bound by the chain: changing one byte of it is caught by
 * `verify` (and offline by spine-verify), naming the event's seq.
 *
 * Guarantees: a stub always starts with `{"$blob":` (canonical JSON sorts `$` before identifier keys), and no
 * inline payload can (a top-level `$blob` key is refused at append), so `blobRefOf` decides "stub or not"
 * from the stored text alone, without parsing inline payloads.
 */
import { createHash } from 'node:crypto';
import type { Json } from './events';
import { canonicalJson } from './log/hashChain';

export const BLOB_KEY = '$blob';
export const BLOB_STUB_PREFIX = '{"$blob":';

/** What a stub says about its blob: the SHA-256 (hex) and byte length of the payload's canonical JSON. */
export type BlobRef = { sha256: string; bytes: number };

/** A blob on its way to storage: the exact bytes, with their hash and length. */
export type PreparedBlob = BlobRef & { content: Buffer };

/** At most this many bytes of top-level scalars are copied into a stub. */
export const STUB_SCALAR_BUDGET_BYTES = 512;
/** Longer strings are left out of the stub (they are in the blob). */
export const STUB_MAX_STRING_CHARS = 128;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The blob of a payload text (its canonical JSON). */
export function prepareBlob(payloadText: string): PreparedBlob {
  const content = Buffer.from(payloadText, 'utf8');
  return { sha256: sha256Hex(content), bytes: content.length, content };
}

/** The stub stored in the row for `payload` kept as blob `ref` (canonical JSON text). */
export function blobStub(payload: Json, ref: BlobRef): string {
  const stub: Record<string, Json> = { [BLOB_KEY]: { bytes: ref.bytes, sha256: ref.sha256 } };
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    // Cheapest first (ids, counters, flags before long strings), so many short fields fit the budget.
    const candidates: { key: string; value: Json; cost: number }[] = [];
    for (const key of Object.keys(payload)) {
      const v = payload[key];
      if (!IDENTIFIER.test(key) || v === undefined) continue;
      const scalar = v === null || typeof v === 'boolean' || typeof v === 'number' || (typeof v === 'string' && v.length <= STUB_MAX_STRING_CHARS);
      if (scalar) candidates.push({ key, value: v, cost: Buffer.byteLength(key) + Buffer.byteLength(canonicalJson(v)) + 4 });
    }
    candidates.sort((a, b) => a.cost - b.cost || (a.key < b.key ? -1 : 1));
    let budget = STUB_SCALAR_BUDGET_BYTES;
    for (const c of candidates) {
      if (c.cost > budget) break;
      budget -= c.cost;
      stub[c.key] = c.value;
    }
  }
  return canonicalJson(stub);
}

/** The blob a stored payload text refers to, or null for an inline payload. */
export function blobRefOf(storedText: string): BlobRef | null {
  if (!storedText.startsWith(BLOB_STUB_PREFIX)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(storedText);
  } catch {
    return null;
  }
  const ref = (parsed as Record<string, unknown>)[BLOB_KEY] as Record<string, unknown> | null;
  if (typeof ref !== 'object' || ref === null) return null;
  const { sha256, bytes } = ref;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256) || typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return null;
  return { sha256, bytes };
}

/** Whether `content` is the blob `ref` names. */
export function blobMatches(ref: BlobRef, content: Buffer): boolean {
  return content.length === ref.bytes && sha256Hex(content) === ref.sha256;
}

/** True when a payload uses the reserved top-level key (refused at append: it would read as a stub). */
export function usesReservedBlobKey(payload: unknown): boolean {
  return payload !== null && typeof payload === 'object' && !Array.isArray(payload) && Object.prototype.hasOwnProperty.call(payload, BLOB_KEY);
}
