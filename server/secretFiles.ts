/**
 * Key files kept beside the database (the secret box key, the audit signing key). Several Spine processes
 * may start at once on a fresh machine: each writes a candidate to a file of its own and hard-links it into
 * place, which fails if the file exists, so every process ends up reading the one key that won, complete.
 */
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Reads `file`, first creating it (mode 0600) with `create()` if it does not exist. */
export function readOrCreateSecretFile(file: string, create: () => string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const candidate = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(candidate, create(), { mode: 0o600 });
  try {
    linkSync(candidate, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(candidate);
  }
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8');
}
