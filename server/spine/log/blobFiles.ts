/**
 * The embedded log's blob store: one file per blob beside the database, `<dir>/<aa>/<sha256>` (`aa`: the
 * hash's first two hex digits, so no directory holds more than 1/256 of them).
 *
 * Guarantees: a blob file is written whole or not at all (a temp file in the same directory, fsynced, then
 * renamed over the name, and the directory fsynced), and `write` resolves only after that, so the event that
 * references it is committed strictly after its blob is durable. A crash between the two leaves an
 * unreferenced blob: harmless, because blobs are content-addressed and the same payload maps to the same
 * file. A file that exists with the right content is not written again (the same payload twice is one
 * blob); one whose content no longer matches its name is replaced by the correct bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { blobMatches, type BlobRef, type PreparedBlob } from '../blobs';

export class BlobFiles {
  constructor(readonly dir: string) {}

  pathOf(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Makes every blob durable; resolves after the last fsync. */
  async write(blobs: PreparedBlob[]): Promise<void> {
    const seen = new Set<string>();
    for (const b of blobs) {
      if (seen.has(b.sha256)) continue;
      seen.add(b.sha256);
      await this.writeOne(b);
    }
  }

  private async writeOne(b: PreparedBlob): Promise<void> {
    const final = this.pathOf(b.sha256);
    const existing = await readFile(final).catch(() => null);
    if (existing && blobMatches(b, existing)) return;
    const shard = path.dirname(final);
    const created = await mkdir(shard, { recursive: true });
    const tmp = path.join(shard, `.tmp-${b.sha256.slice(0, 8)}-${randomBytes(6).toString('hex')}`);
    try {
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(b.content);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
    await fsyncDir(shard);
    // A directory that mkdir just created must itself be durable in its parent (up to the first that existed).
    if (created) for (let d = shard; d.length >= created.length && d !== path.dirname(d); d = path.dirname(d)) await fsyncDir(path.dirname(d));
  }

  /** The stored bytes of a blob, or null when there is no such file. Not checked against the hash. */
  async read(sha256: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(sha256));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Whether the stored file is the blob `ref` names. */
  async check(ref: BlobRef): Promise<'ok' | 'missing' | 'mismatch'> {
    const content = await this.read(ref.sha256);
    if (!content) return 'missing';
    return blobMatches(ref, content) ? 'ok' : 'mismatch';
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
