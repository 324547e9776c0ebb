import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOrCreateSecretFile } from './secretFiles';

describe('readOrCreateSecretFile', () => {
  it('creates the file once, 0600, and every later caller reads the first content', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-secret-'));
    const file = path.join(dir, 'nested', 'k');
    const first = readOrCreateSecretFile(file, () => 'one');
    const second = readOrCreateSecretFile(file, () => 'two');
    expect([first, second]).toEqual(['one', 'one']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['k']); // no candidate files left behind
  });

  it('keeps an existing file as it is', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-secret-'));
    const file = path.join(dir, 'k');
    writeFileSync(file, 'theirs', { mode: 0o600 });
    expect(readOrCreateSecretFile(file, () => 'mine')).toBe('theirs');
  });
});
