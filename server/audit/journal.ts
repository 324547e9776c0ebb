/**
 * The checkpoint journal: every checkpoint this installation signs is also appended to a JSONL file
 * beside the signing key, outside the database. Checkpoints stored as events can be deleted by whoever
 * can write the database (after dropping its triggers); the journal keeps the evidence that a truncated
 * tail or a rewritten chain once looked different. One journal per database: the file name carries a
 * digest of the database's location, so test databases and installations never mix.
 */
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseCheckpoint, type SignedCheckpoint } from './checkpoint';

export type Journal = {
  readonly file: string;
  append(c: SignedCheckpoint): void;
  /** Every checkpoint in the journal, in the order written. */
  all(): SignedCheckpoint[];
};

/** `file:./data/spine.db` → its absolute path; a PostgreSQL URL without its password. */
export function databaseIdentity(databaseUrl: string): string {
  if (databaseUrl.startsWith('file:')) return `sqlite:${path.resolve(databaseUrl.slice('file:'.length))}`;
  try {
    const u = new URL(databaseUrl);
    return `postgresql://${u.username}@${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return databaseUrl;
  }
}

export function defaultJournalFile(keyFile: string, databaseUrl: string): string {
  const digest = createHash('sha256').update(databaseIdentity(databaseUrl)).digest('hex').slice(0, 12);
  return path.join(path.dirname(path.resolve(keyFile)), `audit-checkpoints-${digest}.jsonl`);
}

export function openJournal(file: string): Journal {
  const abs = path.resolve(file);
  // Read fresh each time: other processes sharing the key directory may have appended.
  const load = (): SignedCheckpoint[] => {
    let text = '';
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const out: SignedCheckpoint[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const c = parseCheckpoint(JSON.parse(line));
        if (c) out.push(c);
      } catch {
        // A torn last line (crash mid-write) is skipped; the next append starts a fresh line.
      }
    }
    return out;
  };
  return {
    file: abs,
    append(c) {
      mkdirSync(path.dirname(abs), { recursive: true });
      appendFileSync(abs, `${tornTail(abs) ? '\n' : ''}${JSON.stringify(c)}\n`, { mode: 0o600 });
    },
    all: () => load(),
  };
}

/** True when the file's last byte is not a newline (a write was cut short). */
function tornTail(file: string): boolean {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    if (size === 0) return false;
    fd = openSync(file, 'r');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
