/**
 * Credentials at rest (agent secrets, LLM keys): AES-256-GCM with a key kept outside the database,
 * from SPINE_SECRET_KEY (base64, 32 bytes) or the file SPINE_SECRET_KEY_FILE (default
 * ./data/secret.key, created with mode 0600 on first use). A stored secret is `{"$enc":"v1:<iv>:<tag>:<data>"}`;
 * whoever reads the database or an export sees only that.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { readOrCreateSecretFile } from '@/server/secretFiles';

export const SECRET_FIELDS = ['secret', 'apiKey', 'token', 'password', 'authorization'] as const;
let cached: Buffer | undefined;

function key(): Buffer {
  if (cached) return cached;
  const fromEnv = process.env.SPINE_SECRET_KEY;
  if (fromEnv) {
    const k = Buffer.from(fromEnv, 'base64');
    if (k.length !== 32) throw new Error('SPINE_SECRET_KEY must be 32 bytes, base64-encoded');
    return (cached = k);
  }
  const file = path.resolve(/*turbopackIgnore: true*/ process.env.SPINE_SECRET_KEY_FILE ?? path.join('data', 'secret.key'));
  const stored = readOrCreateSecretFile(file, () => randomBytes(32).toString('base64'));
  chmodSync(file, 0o600);
  const k = Buffer.from(stored.trim(), 'base64');
  if (k.length !== 32) throw new Error(`${file} must hold 32 bytes, base64-encoded`);
  return (cached = k);
}

export type Sealed = { $enc: string };

export function seal(plain: string): Sealed {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key(), iv);
  const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return { $enc: `v1:${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${data.toString('base64')}` };
}

export function isSealed(v: unknown): v is Sealed {
  return typeof v === 'object' && v !== null && typeof (v as Sealed).$enc === 'string';
}

export function open(sealed: Sealed): string {
  const [v, iv, tag, data] = sealed.$enc.split(':');
  if (v !== 'v1' || !iv || !tag || !data) throw new Error('unreadable sealed secret');
  const d = createDecipheriv('aes-256-gcm', key(), Buffer.from(iv, 'base64'));
  d.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
}
