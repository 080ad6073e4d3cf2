/**
 * The checkpoint signing key (Ed25519) and HMAC fingerprints. The private key file is created
 * 0600 with O_EXCL and refused if group or others can read it; the public key is written next
 * to it so verifiers (another host, a witness) can check checkpoints without the private key.
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError } from './errors.ts';
import type { AuditKeys } from './types.ts';

export const PRIVATE_KEY_FILE = 'audit-signing.key';
export const PUBLIC_KEY_FILE = 'audit-signing.pub';
export const CHECKPOINT_LOG_FILE = 'audit-checkpoints.log';

/** Loads `<dataDir>/audit-signing.key` (and .pub), creating the pair on first use. */
export function loadOrCreateAuditKeys(dataDir: string): AuditKeys {
  const privPath = join(dataDir, PRIVATE_KEY_FILE);
  const pubPath = join(dataDir, PUBLIC_KEY_FILE);
  if (!existsSync(privPath)) createKeyFiles(dataDir, privPath, pubPath);
  const mode = statSync(privPath).mode;
  if ((mode & 0o077) !== 0) {
    throw new AuditError(
      'ERR_AUDIT_KEY',
      `${privPath} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600`,
      { path: privPath },
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(privPath));
  } catch {
    throw new AuditError('ERR_AUDIT_KEY', `${privPath} is not a PEM private key`, { path: privPath });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AuditError('ERR_AUDIT_KEY', `${privPath} is not an Ed25519 key`, { path: privPath });
  }
  const publicKey = createPublicKey(privateKey);
  if (!existsSync(pubPath)) writeFileSync(pubPath, exportPublicKeyPem(publicKey), { mode: 0o644 });
  return Object.freeze({ privateKey, publicKey, keyId: auditKeyId(publicKey), dataDir });
}

function createKeyFiles(dataDir: string, privPath: string, pubPath: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  try {
    writeFileSync(privPath, pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new AuditError('ERR_AUDIT_KEY', `cannot create ${privPath}: ${(e as Error).message}`, {
      path: privPath,
    });
  }
  writeFileSync(pubPath, exportPublicKeyPem(publicKey), { mode: 0o644 });
}

/** Public-key-only keys for a verifier: a KeyObject, PEM text, or a path to a PEM file. */
export function loadAuditPublicKey(key: KeyObject | string): AuditKeys {
  let publicKey: KeyObject;
  try {
    if (key instanceof KeyObject) publicKey = key.type === 'private' ? createPublicKey(key) : key;
    else publicKey = createPublicKey(key.includes('-----BEGIN') ? key : readFileSync(key));
  } catch {
    throw new AuditError('ERR_AUDIT_KEY', 'the audit public key cannot be read as a PEM public key');
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new AuditError('ERR_AUDIT_KEY', 'the audit public key is not an Ed25519 key');
  }
  return Object.freeze({ publicKey, keyId: auditKeyId(publicKey) });
}

export function exportPublicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

export function auditKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return 'ed25519:' + createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/**
 * 'hmac-sha256:<hex>' of `value` under `key`: how secrets appear in audit records (SB-6,
 * AU-8): comparable for equality by whoever holds the key, never reversible.
 */
export function hmacFingerprint(key: Buffer | KeyObject | string, value: string | Buffer): string {
  return 'hmac-sha256:' + createHmac('sha256', key).update(value).digest('hex');
}
