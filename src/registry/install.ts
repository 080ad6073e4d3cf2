/**
 * Installs a catalog package into the data directory (issue 6, RP-4): the tarball is fetched
 * from the registry once, its digest is checked against the signed catalog's integrity before
 * anything is extracted or run, and it is checked again at every start (before first launch).
 * Only the verified tarball's own files are used; nothing from registry metadata shapes the
 * runtime (LS-3): the command is Node.js, the script is the package's `bin` inside the verified
 * content, arguments and environment come from the local configuration.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { CatalogEntry } from './catalog-schema.ts';
import { RegistryError } from './errors.ts';
import { fetchNpmMetadata, parsePackageSpec, verifyTarball } from './npm.ts';
import { extractTgz } from './tar.ts';
import { pickBin } from './bin.ts';

const MAX_TARBALL = 128 * 1024 * 1024;

export interface InstallOptions {
  /** Where packages live, e.g. `<data_dir>/packages`. */
  readonly dir: string;
  readonly registry: string;
  readonly fetch?: typeof globalThis.fetch;
  readonly timeoutMs?: number;
}

export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  /** The extracted package directory. */
  readonly dir: string;
  /** Absolute path of the script to run with Node.js. */
  readonly bin: string;
  /**
   * Names of what it needs installed beside it (dependencies, optional and peer dependencies):
   * when not empty, the package is run from the install of its signed lock (lock-install.ts).
   */
  readonly dependencies: readonly string[];
}

async function download(url: string, path: string, opts: InstallOptions, label: string): Promise<void> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000), redirect: 'error' });
  } catch (e) {
    throw new RegistryError('ERR_PACKAGE_INSTALL', `cannot download ${label}`, {}, { cause: e });
  }
  if (!res.ok)
    throw new RegistryError(
      'ERR_PACKAGE_INSTALL',
      `registry answered ${res.status} for the ${label} tarball`,
    );
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_TARBALL)
    throw new RegistryError('ERR_PACKAGE_INSTALL', `${label} tarball is too large`);
  writeFileSync(`${path}.part`, body, { mode: 0o600 });
  renameSync(`${path}.part`, path);
}

/** Downloads (once), verifies (every time) and extracts (once per integrity) a catalog package. */
export async function installVerified(entry: CatalogEntry, opts: InstallOptions): Promise<InstalledPackage> {
  if (entry.package === undefined || entry.integrity === undefined)
    throw new TypeError(`catalog entry ${entry.name} names no package`);
  const { name, version } = parsePackageSpec(entry.package);
  const label = `${name}@${version}`;
  // Public package code, owned by Warden's user and not writable by others: 0755, so a sandbox
  // uid can reach it (catalog.packages_dir; the data directory itself stays 0700).
  mkdirSync(opts.dir, { recursive: true, mode: 0o755 });
  chmodSync(opts.dir, 0o755);
  const base = join(opts.dir, `${name.replace('/', '+')}@${version}`);
  const tgz = `${base}.tgz`;
  if (!existsSync(tgz)) {
    const meta = await fetchNpmMetadata(entry.package, {
      registry: opts.registry,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    await download(meta.tarball, tgz, opts, label);
  }
  const v = await verifyTarball(tgz, entry.integrity);
  if (!v.ok) {
    // Keep the evidence, never the file the next start would trust.
    renameSync(tgz, `${tgz}.rejected`);
    throw new RegistryError('ERR_INTEGRITY_MISMATCH', `${label}: ${v.message}`, { name, version });
  }
  const marker = join(base, '.warden-integrity');
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== entry.integrity) {
    rmSync(base, { recursive: true, force: true });
    extractTgz(readFileSync(tgz), base);
    writeFileSync(marker, entry.integrity);
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(join(base, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    throw new RegistryError('ERR_PACKAGE_INSTALL', `${label} has no readable package.json`);
  }
  if (pkg.name !== name || pkg.version !== version)
    throw new RegistryError(
      'ERR_PACKAGE_INSTALL',
      `${label}: the tarball holds ${String(pkg.name)}@${String(pkg.version)}`,
    );
  const rel = pickBin(pkg.bin, name);
  const bin = rel === undefined ? undefined : resolve(base, rel);
  if (bin === undefined || !bin.startsWith(base + sep) || !existsSync(bin))
    throw new RegistryError('ERR_PACKAGE_INSTALL', `${label} has no bin to run`);
  const deps = ['dependencies', 'optionalDependencies', 'peerDependencies'].flatMap((k) => {
    const d = pkg[k];
    return typeof d === 'object' && d !== null ? Object.keys(d) : [];
  });
  return { name, version, dir: base, bin, dependencies: [...new Set(deps)] };
}
