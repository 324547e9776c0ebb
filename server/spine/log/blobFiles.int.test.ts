/**
 * The embedded log's blob files on a real file system: written whole under their hash, no temp file left
 * behind, the same blob written once, a file altered behind Spine's back replaced by the right bytes when
 * the payload is appended again, and concurrent writers of one blob end with one correct file.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareBlob } from '../blobs';
import { BlobFiles } from './blobFiles';

const files = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);

describe('blob files', () => {
  it('writes a blob under <aa>/<sha256> with exactly its bytes, leaves no temp file, and skips a blob it already has', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'spine-blobs-')), 'blobs');
    const store = new BlobFiles(dir);
    const blob = prepareBlob(JSON.stringify({ text: 'ü'.repeat(100_000) }));
    await store.write([blob, blob]);
    const file = store.pathOf(blob.sha256);
    expect(path.relative(dir, file)).toBe(path.join(blob.sha256.slice(0, 2), blob.sha256));
    expect(readFileSync(file).equals(blob.content)).toBe(true);
    expect(files(dir)).toEqual([blob.sha256]);
    const mtime = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await store.write([blob]);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(await store.check(blob)).toBe('ok');
    expect(await store.read('0'.repeat(64))).toBeNull();
    expect(await store.check({ sha256: '0'.repeat(64), bytes: 1 })).toBe('missing');
  });

  it('replaces a file whose content no longer matches its name, and survives concurrent writers of one blob', async () => {
    const store = new BlobFiles(path.join(mkdtempSync(path.join(os.tmpdir(), 'spine-blobs-')), 'blobs'));
    const blob = prepareBlob('{"doc":"' + 'x'.repeat(200_000) + '"}');
    await Promise.all(Array.from({ length: 8 }, () => store.write([blob])));
    expect(files(store.dir)).toEqual([blob.sha256]);
    writeFileSync(store.pathOf(blob.sha256), 'tampered');
    expect(await store.check(blob)).toBe('mismatch');
    await store.write([blob]);
    expect(await store.check(blob)).toBe('ok');
    expect(files(store.dir)).toEqual([blob.sha256]);
  });
});
