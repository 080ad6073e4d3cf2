/**
 * npm provenance: fetch a package version's registry metadata (only name, version, the
 * tarball URL and `dist.integrity` are kept) and verify a tarball against an SRI hash.
 *
 * LS-3: nothing from package metadata shapes the runtime. `catalogEntryFromNpm` takes the
 * command, args, secrets and egress from the operator's local input only; bin, scripts,
 * engines, or any "mcp" block in the metadata are ignored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { err, ok } from '../core/index.ts';
import type { Result } from '../core/index.ts';
import { RegistryError } from './errors.ts';
import { NPM_SPEC, SRI } from './catalog-schema.ts';
import type { CatalogEntry } from './catalog-schema.ts';

export interface PackageSpec {
  readonly name: string;
  readonly version: string;
}

export function parsePackageSpec(spec: string): PackageSpec {
  const m = NPM_SPEC.exec(spec);
  if (m === null) {
    throw new RegistryError('ERR_PACKAGE_SPEC', "expected 'npm:<name>@<exact version>' (no ranges or tags)", {
      spec: spec.slice(0, 200),
    });
  }
  return { name: m[1]!, version: m[2]! };
}

export interface NpmMetadata {
  readonly name: string;
  readonly version: string;
  readonly integrity: string;
  readonly tarball: string;
}

const versionDoc = z.object({
  name: z.string(),
  version: z.string(),
  dist: z.object({ integrity: z.string().regex(SRI), tarball: z.string().url() }),
});

export interface FetchNpmOptions {
  /** Registry base URL, e.g. the output of `npm config get registry`. */
  readonly registry: string;
  readonly fetch?: typeof globalThis.fetch;
  readonly timeoutMs?: number;
}

/** GET <registry>/<name>/<version>; records dist.integrity and dist.tarball. */
export async function fetchNpmMetadata(spec: string, opts: FetchNpmOptions): Promise<NpmMetadata> {
  const { name, version } = parsePackageSpec(spec);
  const base = opts.registry.endsWith('/') ? opts.registry : `${opts.registry}/`;
  const url = new URL(`${name.replace('/', '%2f')}/${encodeURIComponent(version)}`, base);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RegistryError('ERR_NPM_METADATA', 'registry URL must be http(s)');
  }
  const doFetch = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
      redirect: 'error',
    });
  } catch (e) {
    throw new RegistryError(
      'ERR_NPM_METADATA',
      `registry request for ${name}@${version} failed`,
      { name, version },
      { cause: e },
    );
  }
  if (!res.ok)
    throw new RegistryError('ERR_NPM_METADATA', `registry answered ${res.status} for ${name}@${version}`, {
      name,
      version,
      status: res.status,
    });
  const parsed = versionDoc.safeParse(await res.json().catch(() => null));
  if (!parsed.success)
    throw new RegistryError(
      'ERR_NPM_METADATA',
      `registry metadata for ${name}@${version} lacks dist.integrity or dist.tarball`,
      { name, version },
    );
  const doc = parsed.data;
  if (doc.name !== name || doc.version !== version) {
    throw new RegistryError(
      'ERR_NPM_METADATA',
      `registry returned ${doc.name}@${doc.version} for ${name}@${version}`,
      { name, version },
    );
  }
  return Object.freeze({ name, version, integrity: doc.dist.integrity, tarball: doc.dist.tarball });
}

/** Local, operator-supplied fields of a catalog entry: the ONLY source of runtime shape (LS-3). */
export interface LocalEntryFields {
  readonly name: string;
  readonly args?: readonly string[];
  readonly tools?: Readonly<Record<string, string>>;
  readonly secrets?: readonly string[];
  readonly egress?: readonly string[];
}

/** Builds a catalog entry from registry metadata (identity + integrity only) and local fields. */
export function catalogEntryFromNpm(meta: NpmMetadata, local: LocalEntryFields): CatalogEntry {
  return {
    name: local.name,
    package: `npm:${meta.name}@${meta.version}`,
    integrity: meta.integrity,
    args: [...(local.args ?? [])],
    tools: { ...(local.tools ?? {}) },
    secrets: [...(local.secrets ?? [])],
    egress: [...(local.egress ?? [])],
  };
}

export type IntegrityErrorCode = 'ERR_INTEGRITY_MISMATCH' | 'ERR_INTEGRITY_FORMAT' | 'ERR_INTEGRITY_READ';

/** Streams the file and compares its digest with the SRI string in constant time. */
export async function verifyTarball(
  path: string,
  integrity: string,
): Promise<Result<{ integrity: string }, IntegrityErrorCode>> {
  const m = /^(sha512|sha384|sha256)-([A-Za-z0-9+/]+={0,2})$/.exec(integrity.trim());
  if (m === null) return err('ERR_INTEGRITY_FORMAT', "integrity must look like 'sha512-<base64>'");
  const expected = Buffer.from(m[2]!, 'base64');
  const hash = createHash(m[1]!);
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return err('ERR_INTEGRITY_READ', 'cannot read the tarball');
  }
  const actual = hash.digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return err(
      'ERR_INTEGRITY_MISMATCH',
      `tarball digest ${m[1]}-${actual.toString('base64').slice(0, 16)}… does not match the catalog's integrity`,
    );
  }
  return ok({ integrity: `${m[1]}-${actual.toString('base64')}` });
}
