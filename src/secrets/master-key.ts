/**
 * The master key that encrypts the secret store: 32 bytes from a key file (0600, created on
 * first use), an environment variable or a key command's output. Only src/config reads
 * process.env and only the caller runs commands: this module takes the value or the bytes.
 *
 * Sub-keys are derived with HKDF-SHA256 so the encryption key, the key check value and the
 * fingerprint key are independent.
 */
import { hkdfSync, randomBytes, timingSafeEqual, createHmac } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
import { SecretsError } from './errors.ts';

export interface MasterKey {
  /** AES-256-GCM key for secret values. */
  readonly encKey: Buffer;
  /** HMAC key for the key check value. */
  readonly checkKey: Buffer;
  /** HMAC key for fingerprints (`hmac-sha256:…`). */
  readonly fingerprintKey: Buffer;
}

const KEY_BYTES = 32;

function derive(ikm: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.from('warden-secrets-v1'), Buffer.from(info), KEY_BYTES));
}

/** Builds the master key from 32 raw bytes, or from 64 hex / 43–44 base64(url) characters. */
export function masterKeyFromBytes(material: Buffer | string): MasterKey {
  const raw = decodeKeyMaterial(material);
  if (raw === null) {
    throw new SecretsError(
      'ERR_SECRET_MASTER_KEY',
      'master key must be 32 bytes: raw, 64 hex characters or base64',
    );
  }
  return {
    encKey: derive(raw, 'enc'),
    checkKey: derive(raw, 'check'),
    fingerprintKey: derive(raw, 'fingerprint'),
  };
}

function decodeKeyMaterial(material: Buffer | string): Buffer | null {
  const asText = (typeof material === 'string' ? material : material.toString('latin1')).trim();
  if (/^[0-9a-fA-F]{64}$/.test(asText)) return Buffer.from(asText, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(asText)) {
    const b = Buffer.from(asText.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === KEY_BYTES) return b;
  }
  if (Buffer.isBuffer(material) && material.length === KEY_BYTES) return Buffer.from(material);
  return null;
}

/** The key check value stored beside the secrets: proves a key is the right one. */
export function keyCheckValue(key: MasterKey): string {
  return createHmac('sha256', key.checkKey).update('warden-secrets-key-check').digest('hex');
}

export function keyCheckMatches(key: MasterKey, stored: string): boolean {
  const a = Buffer.from(keyCheckValue(key), 'hex');
  const b = Buffer.from(stored, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Reads the key file, creating it (0600, 32 random bytes as hex) when it does not exist.
 * An existing file that others can read or write is refused.
 */
export function loadOrCreateKeyFile(path: string): MasterKey {
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw keyFileError(path, e);
    return readKeyFile(path);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, randomBytes(KEY_BYTES).toString('hex') + '\n');
  } finally {
    closeSync(fd);
  }
  return readKeyFile(path);
}

function readKeyFile(path: string): MasterKey {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw keyFileError(path, e);
  }
  try {
    const st = fstatSync(fd);
    if ((st.mode & 0o077) !== 0) {
      throw new SecretsError(
        'ERR_SECRET_MASTER_KEY',
        `key file ${path} must not be accessible by group or others (chmod 600)`,
        { path },
      );
    }
    return masterKeyFromBytes(readFileSync(fd));
  } finally {
    closeSync(fd);
  }
}

function keyFileError(path: string, e: unknown): SecretsError {
  const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
  return new SecretsError('ERR_SECRET_MASTER_KEY', `cannot open key file ${path} (${code})`, {
    path,
    errno: code,
  });
}
