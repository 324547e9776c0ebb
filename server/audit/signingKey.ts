/**
 * The audit signing key: an Ed25519 key pair kept in a PEM file outside the database (by default
 * `./data/audit-signing-key.pem`, mode 0600), created on first use. Whoever can write the database
 * cannot forge a checkpoint without this file; the public half is published at
 * `GET /api/v1/audit/public-key` so exports can be checked anywhere.
 *
 * The key id is the first 16 hex digits of the SHA-256 of the public key (SubjectPublicKeyInfo, DER),
 * so a verifier can tell which of several published keys signed something.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, statSync } from 'node:fs';
import path from 'node:path';
import { readOrCreateSecretFile } from '@/server/secretFiles';

export type SigningKey = {
  readonly keyId: string;
  readonly file: string;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** Signs UTF-8 text; returns base64. */
  sign(message: string): string;
  verify(message: string, signature: string): boolean;
};

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Loads the key pair from `file`, creating it (0600) if it does not exist yet. */
export function loadSigningKey(file: string): SigningKey {
  const abs = path.resolve(/*turbopackIgnore: true*/ file);
  const pem = readOrCreateSecretFile(abs, () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  tightenMode(abs);
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${abs} does not hold an Ed25519 private key`);
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    file: abs,
    publicKey,
    publicKeyPem,
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
    verify: (message, signature) => verifySignature(publicKey, message, signature),
  };
}

export function verifySignature(publicKey: KeyObject, message: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** A private key readable by others is a finding: make it owner-only and say so. */
function tightenMode(file: string) {
  try {
    if (process.platform === 'win32') return;
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      chmodSync(file, 0o600);
      console.warn(`[audit] ${file} was readable by others (mode ${mode.toString(8)}); set to 0600`);
    }
  } catch {
    /* best effort */
  }
}
