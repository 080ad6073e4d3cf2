import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync, constants } from 'node:fs';
import type { BootstrapCredential } from './client-auth.ts';
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

/** What `warden agent create` writes for an agent's bootstrap key (mode 0600, never logged). */
export interface BootstrapFile {
  readonly client_id: string;
  readonly kid: string;
  readonly private_jwk: Record<string, unknown>;
  readonly token_endpoint: string;
}

/** Writes a bootstrap credential file with mode 0600; refuses to overwrite an existing file. */
export function writeBootstrapFile(
  path: string,
  credential: { clientId: string; kid: string; privateJwk: object },
  tokenEndpoint: string,
): void {
  const body: BootstrapFile = {
    client_id: credential.clientId,
    kid: credential.kid,
    private_jwk: { ...credential.privateJwk },
    token_endpoint: tokenEndpoint,
  };
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch {
    throw new IdentityError('ERR_IDENTITY_CONFIG', `cannot create ${path} (it must not exist yet)`, { path });
  }
  try {
    writeSync(fd, JSON.stringify(body, null, 2) + '\n');
  } finally {
    closeSync(fd);
  }
}

/** Reads a bootstrap file back as a credential for `createClientAssertion` (0600 enforced). */
export function readBootstrapFile(path: string): {
  credential: BootstrapCredential;
  tokenEndpoint: string;
} {
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new IdentityError(
      'ERR_KEY_UNAVAILABLE',
      `bootstrap file ${path} must not be accessible to group or others`,
      { path },
    );
  }
  let v: Partial<BootstrapFile>;
  try {
    v = JSON.parse(readFileSync(path, 'utf8')) as Partial<BootstrapFile>;
  } catch {
    throw new IdentityError('ERR_IDENTITY_CONFIG', `bootstrap file ${path} is not JSON`, { path });
  }
  if (
    typeof v.client_id !== 'string' ||
    typeof v.kid !== 'string' ||
    typeof v.private_jwk !== 'object' ||
    typeof v.token_endpoint !== 'string'
  ) {
    throw new IdentityError(
      'ERR_IDENTITY_CONFIG',
      `bootstrap file ${path} lacks client_id, kid, private_jwk or token_endpoint`,
      { path },
    );
  }
  return {
    credential: { clientId: v.client_id, kid: v.kid, privateJwk: v.private_jwk },
    tokenEndpoint: v.token_endpoint,
  };
}
