/**
 * Opening the embedded SQLite database: WAL journal, the configured durability, a busy timeout for a
 * second connection (migrations, tests), and the `regexp` function that type-pattern filters use.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export function sqlitePathFromUrl(url: string): string {
  const file = url.replace(/^file:/, '');
  return path.resolve(/*turbopackIgnore: true*/ process.cwd(), file);
}

export function openSqliteDatabase(file: string, synchronous: 'FULL' | 'NORMAL' = 'FULL'): Database.Database {
  mkdirSync(path.dirname(file), { recursive: true });
  // The busy timeout first: switching to WAL takes a lock that a process opening the file at the same moment holds.
  const db = new Database(file, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.function('regexp', { deterministic: true }, (pattern: unknown, value: unknown) =>
    regexFor(String(pattern)).test(String(value)) ? 1 : 0,
  );
  return db;
}

const regexCache = new Map<string, RegExp>();
function regexFor(source: string): RegExp {
  let r = regexCache.get(source);
  if (!r) {
    r = new RegExp(source);
    if (regexCache.size > 500) regexCache.clear();
    regexCache.set(source, r);
  }
  return r;
}

