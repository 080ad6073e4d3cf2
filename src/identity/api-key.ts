import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer API keys: `wdn_<key id: 24 hex>_<secret: 43 base64url = 256 random bits>`.
 * Only a SHA-256 digest is stored: with 256-bit random secrets a slow KDF buys nothing
 * (no dictionary to attack), and the digest is domain-separated and bound to the key id.
 */
const KEY_RE = /^wdn_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyMaterial {
  readonly id: string;
  /** The full bearer string, shown once. */
  readonly token: string;
  readonly hash: Buffer;
}

export function newApiKey(): ApiKeyMaterial {
  const id = randomBytes(12).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const token = `wdn_${id}_${secret}`;
  return { id, token, hash: hashApiKey(id, secret) };
}

/** Splits a presented key; null when it does not have the API key shape. */
export function parseApiKey(token: string): { id: string; secret: string } | null {
  const m = KEY_RE.exec(token);
  return m === null ? null : { id: m[1]!, secret: m[2]! };
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('wdn_');
}

export function hashApiKey(id: string, secret: string): Buffer {
  return createHash('sha256').update(`warden-api-key-v1\0${id}\0${secret}`).digest();
}

/** Constant-time comparison of two digests (length is public: always 32). */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A secret-free fingerprint for logs and messages. */
export function fingerprint(value: string): string {
  return 'sha256:' + createHash('sha256').update(value).digest('hex').slice(0, 12);
}
