import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync, constants } from 'node:fs';
import { IdentityError } from './errors.ts';

/**
 * The key-encryption key (KEK) that seals signing keys at rest (AES-256-GCM).
 * Embedded default: a 0600 file in the data directory, created on first use. Shared PostgreSQL:
 * every replica gets the same 32 bytes (file or key command), so a database dump alone
 * does not yield a key that can mint tokens.
 */
export function loadOrCreateKeyFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new IdentityError('ERR_KEY_UNAVAILABLE', `cannot create the key file ${path}`, { path });
    }
    return readKeyFile(path);
  }
  try {
    writeSync(fd, randomBytes(32).toString('base64') + '\n');
  } finally {
    closeSync(fd);
  }
  return readKeyFile(path);
}

/** Reads a KEK file, refusing one that group or others can read or write. */
export function readKeyFile(path: string): Buffer {
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0) {
    throw new IdentityError(
      'ERR_KEY_UNAVAILABLE',
      `key file ${path} must not be accessible to group or others (chmod 600)`,
      {
        path,
      },
    );
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32)
    throw new IdentityError('ERR_KEY_UNAVAILABLE', `key file ${path} does not hold 32 base64 bytes`, {
      path,
    });
  return key;
}

export function seal(kek: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek, iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

export function unseal(kek: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 29) throw new IdentityError('ERR_KEY_UNAVAILABLE', 'sealed key is truncated');
  const d = createDecipheriv('aes-256-gcm', kek, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
  } catch {
    throw new IdentityError(
      'ERR_KEY_UNAVAILABLE',
      'a signing key does not decrypt with this key-encryption key',
    );
  }
}
