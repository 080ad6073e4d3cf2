/**
 * Catalog signing and verification with Ed25519 (node:crypto).
 *
 * A signed catalog is a JSON envelope:
 *   { "payload": <catalog>, "signatures": [{ "keyid": "sha256:…", "alg": "Ed25519", "sig": "<base64>" }] }
 * The signature covers the RFC 8785 canonical JSON of `payload` (UTF-8). `keyid` is the SHA-256
 * of the public key's SPKI DER. Verification checks the signature BEFORE the payload is parsed
 * as a catalog, and the payload is parsed strictly after.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { canonicalJson } from '../core/index.ts';
import { RegistryError } from './errors.ts';
import { catalogSchema, signedCatalogSchema } from './catalog-schema.ts';
import type { Catalog, CatalogInput } from './catalog-schema.ts';
import type { z } from 'zod';

export interface CatalogKeyPair {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
  readonly keyId: string;
}

type KeyInput = string | KeyObject;

function toKey(k: KeyInput, kind: 'public' | 'private'): KeyObject {
  try {
    const key = typeof k === 'string' ? (kind === 'public' ? createPublicKey(k) : createPrivateKey(k)) : k;
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    if (kind === 'public' && key.type === 'private') return createPublicKey(key);
    return key;
  } catch {
    throw new RegistryError('ERR_CATALOG_KEY', `the ${kind} key is not an Ed25519 key in PEM form`);
  }
}

/** `sha256:` + hex SHA-256 of the public key's SPKI DER encoding. */
export function catalogKeyId(publicKey: KeyInput): string {
  const der = toKey(publicKey, 'public').export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

export function generateCatalogKeys(): CatalogKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyId: catalogKeyId(publicKey),
  };
}

/** Writes a key pair: the private key with mode 0600, the public key 0644. */
export function writeCatalogKeys(pair: CatalogKeyPair, privatePath: string, publicPath: string): void {
  writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  chmodSync(privatePath, 0o600);
  writeFileSync(publicPath, pair.publicKeyPem, { mode: 0o644 });
}

function formatIssues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** Validates a catalog (strict) and returns it frozen with defaults applied. */
export function parseCatalog(value: unknown): Catalog {
  const r = catalogSchema.safeParse(value);
  if (!r.success) throw new RegistryError('ERR_CATALOG_INVALID', `invalid catalog: ${formatIssues(r.error)}`);
  return deepFreeze(r.data);
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v as object)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Signs a catalog (validated first); returns the envelope as pretty JSON text. */
export function signCatalog(catalog: CatalogInput | Catalog, privateKey: KeyInput): string {
  const parsed = parseCatalog(catalog);
  const key = toKey(privateKey, 'private');
  const bytes = Buffer.from(canonicalJson(parsed), 'utf8');
  const sig = sign(null, bytes, key).toString('base64');
  const envelope = {
    payload: parsed,
    signatures: [{ keyid: catalogKeyId(createPublicKey(key)), alg: 'Ed25519', sig }],
  };
  return JSON.stringify(envelope, null, 2) + '\n';
}

/**
 * Verifies a signed catalog file's text with a trusted public key; returns the catalog.
 * Throws ERR_CATALOG_SIGNATURE when no signature by this key verifies, ERR_CATALOG_INVALID when
 * the envelope or the (authentic) payload is malformed.
 */
export function verifyCatalog(fileText: string, publicKey: KeyInput): Catalog {
  let raw: unknown;
  try {
    raw = JSON.parse(fileText);
  } catch {
    throw new RegistryError('ERR_CATALOG_INVALID', 'signed catalog is not valid JSON');
  }
  const env = signedCatalogSchema.safeParse(raw);
  if (!env.success)
    throw new RegistryError(
      'ERR_CATALOG_INVALID',
      `invalid signed catalog envelope: ${formatIssues(env.error)}`,
    );
  const key = toKey(publicKey, 'public');
  const keyId = catalogKeyId(key);
  let bytes: Buffer;
  try {
    bytes = Buffer.from(canonicalJson(env.data.payload), 'utf8');
  } catch {
    throw new RegistryError('ERR_CATALOG_INVALID', 'catalog payload cannot be canonicalized');
  }
  const good = env.data.signatures.some(
    (s) => s.keyid === keyId && verify(null, bytes, key, Buffer.from(s.sig, 'base64')),
  );
  if (!good) {
    throw new RegistryError('ERR_CATALOG_SIGNATURE', `catalog is not signed by the trusted key ${keyId}`, {
      keyId,
    });
  }
  return parseCatalog(env.data.payload);
}

/**
 * Parses an unsigned catalog source (JSON or YAML text) strictly, e.g. `catalog.yaml` before
 * `warden catalog sign`. YAML is parsed with aliases limited and unique keys enforced.
 */
export function parseCatalogSource(text: string): Catalog {
  let value: unknown;
  try {
    value = text.trimStart().startsWith('{')
      ? JSON.parse(text)
      : parseYaml(text, { maxAliasCount: 0, uniqueKeys: true });
  } catch (e) {
    throw new RegistryError(
      'ERR_CATALOG_INVALID',
      `catalog source is not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  return parseCatalog(value);
}

/** Returns a new catalog with `entry` added, or replacing (in place) the entry of the same name. */
export function upsertCatalogEntry(catalog: Catalog, entry: CatalogInput['servers'][number]): Catalog {
  const i = catalog.servers.findIndex((s) => s.name === entry.name);
  const servers = i < 0 ? [...catalog.servers, entry] : catalog.servers.map((s, j) => (j === i ? entry : s));
  return parseCatalog({ version: 1, servers });
}
