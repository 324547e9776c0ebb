/**
 * The claim-check row format (blobs.ts) and where prepareInputs applies it: which payloads leave the row,
 * what their stub keeps, and that a stub can always be told from an inline payload by its text alone.
 */
import { describe, expect, it } from 'vitest';
import { blobRefOf, blobStub, prepareBlob, BLOB_STUB_PREFIX } from './blobs';
import { canonicalJson } from './log/hashChain';
import { prepareInputs } from './log/eventLog';
import type { Json } from './events';

const stubOf = (payload: Json) => {
  const blob = prepareBlob(canonicalJson(payload));
  return { blob, stub: blobStub(payload, blob) };
};

describe('a blob stub', () => {
  it('names the SHA-256 and size of the payload’s canonical JSON and starts with the marker, whatever the payload', () => {
    for (const payload of [{ a: 1 }, [1, 2], 'text', 42, null, { '!': 1, ' ': 2, $x: 3, a: 'b' }] as Json[]) {
      const { blob, stub } = stubOf(payload);
      expect(stub.startsWith(BLOB_STUB_PREFIX)).toBe(true);
      expect(blobRefOf(stub)).toEqual({ sha256: blob.sha256, bytes: Buffer.byteLength(canonicalJson(payload)) });
      expect(canonicalJson(JSON.parse(stub))).toBe(stub);
    }
  });

  it('keeps short top-level scalars with identifier keys, drops the rest, and stays under 1 KiB', () => {
    const payload: Json = {
      nodeId: 'summarize', attempt: 3, ok: false, none: null, durationMs: 12.5,
      long: 'x'.repeat(200), nested: { nodeId: 'inner' }, list: [1], 'not-an-identifier': 1, '!early': 2,
      ...Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`field${i}`, 'v'.repeat(100)])),
    };
    const { stub } = stubOf(payload);
    const parsed = JSON.parse(stub) as Record<string, unknown>;
    expect(parsed).toMatchObject({ attempt: 3, durationMs: 12.5, none: null, nodeId: 'summarize', ok: false });
    for (const k of ['long', 'nested', 'list', 'not-an-identifier', '!early']) expect(parsed).not.toHaveProperty(k);
    expect(Buffer.byteLength(stub)).toBeLessThan(1024);
  });

  it('is not mistaken for anything else', () => {
    expect(blobRefOf('{"a":1}')).toBeNull();
    expect(blobRefOf('{"$blob":1}')).toBeNull();
    expect(blobRefOf('{"$blob":{"bytes":1,"sha256":"nothex"}}')).toBeNull();
    expect(blobRefOf('{"$blob":{"bytes":-1,"sha256":"' + 'a'.repeat(64) + '"}}')).toBeNull();
    expect(blobRefOf('{"$blob":{"bytes":1,"sha256":"' + 'a'.repeat(64) + '"}')).toBeNull();
  });
});

describe('prepareInputs', () => {
  it('stores a payload over the inline limit by reference: the row text is the stub, the full payload travels beside it', () => {
    const payload = { nodeId: 'n', doc: 'é'.repeat(3000) };
    const [small, large] = prepareInputs([{ type: 'a.small', payload: { n: 1 } }, { type: 'a.large', payload }], 1_000_000, 4096);
    expect(small!.blob).toBeUndefined();
    expect(small!.payloadText).toBe('{"n":1}');
    expect(large!.blob).toMatchObject({ bytes: Buffer.byteLength(canonicalJson(payload)) });
    expect(large!.blob!.content.toString('utf8')).toBe(canonicalJson(payload));
    expect(blobRefOf(large!.payloadText)).toEqual({ sha256: large!.blob!.sha256, bytes: large!.blob!.bytes });
    expect(large!.payload).toEqual(payload);
  });

  it('keeps a payload at exactly the inline limit inline, and refuses one over the maximum', () => {
    const exact = { s: 'x'.repeat(4096 - 8) };
    expect(Buffer.byteLength(canonicalJson(exact))).toBe(4096);
    expect(prepareInputs([{ type: 'a.b', payload: exact }], 10_000, 4096)[0]!.blob).toBeUndefined();
    expect(() => prepareInputs([{ type: 'a.b', payload: { s: 'x'.repeat(10_000) } }], 10_000, 4096)).toThrow(expect.objectContaining({ code: 'event.payload_too_large' }));
  });

  it('refuses the reserved top-level key $blob', () => {
    expect(() => prepareInputs([{ type: 'a.b', payload: { $blob: { sha256: 'a'.repeat(64), bytes: 1 } } }], 10_000, 4096)).toThrow(expect.objectContaining({ code: 'event.invalid' }));
  });
});
