/**
 * AES-256-GCM sealing of one secret value: a fresh random 96-bit nonce per value and
 * additional authenticated data binding the ciphertext to its name and version, so a row
 * copied to another name or version does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { MasterKey } from './master-key.ts';
import { SecretsError } from './errors.ts';

export interface Sealed {
  readonly nonce: Buffer;
  /** Ciphertext followed by the 16-byte tag. */
  readonly ciphertext: Buffer;
}

function aad(name: string, version: number): Buffer {
  return Buffer.from(`warden-secret:v1:${name}:${version}`, 'utf8');
}

export function seal(key: MasterKey, name: string, version: number, value: string): Sealed {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key.encKey, nonce);
  c.setAAD(aad(name, version));
  const ct = Buffer.concat([c.update(value, 'utf8'), c.final(), c.getAuthTag()]);
  return { nonce, ciphertext: ct };
}

export function unseal(key: MasterKey, name: string, version: number, sealed: Sealed): string {
  const ct = sealed.ciphertext;
  if (ct.length < 16 || sealed.nonce.length !== 12) {
    throw new SecretsError('ERR_SECRET_CORRUPT', `secret ${name} v${version} is malformed`, {
      name,
      version,
    });
  }
  try {
    const d = createDecipheriv('aes-256-gcm', key.encKey, sealed.nonce);
    d.setAAD(aad(name, version));
    d.setAuthTag(ct.subarray(ct.length - 16));
    return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString('utf8');
  } catch {
    throw new SecretsError('ERR_SECRET_CORRUPT', `secret ${name} v${version} failed authentication`, {
      name,
      version,
    });
  }
}

/** `hmac-sha256:<hex>` of a value under the store's fingerprint key (SB-6: never the value). */
export function fingerprint(key: MasterKey, value: string): string {
  return `hmac-sha256:${createHmac('sha256', key.fingerprintKey).update(value, 'utf8').digest('hex')}`;
}
