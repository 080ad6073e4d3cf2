/**
 * Dependency locks for catalog packages (THREATS RP-4): a package is installed as the only
 * dependency of a synthetic root project, so npm's package-lock v3 describes the package AND its
 * whole dependency tree with exact versions, tarball URLs and integrity hashes. That map (minus
 * the root, which is derived from the entry) is stored in the signed catalog entry.
 *
 * - `resolveLock` runs `npm install --package-lock-only --ignore-scripts` (metadata only: no
 *   tarball is unpacked, no script runs) through the launcher port.
 * - `lockfileText` rebuilds the exact package-lock.json the gateway hands to `npm ci`.
 * - `verifyInstalledTree` checks an installed `node_modules` against the lock: every installed
 *   package is in the lock with the same name and version, every non-optional one is installed.
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Launcher } from '../sandbox/index.ts';
import { RegistryError } from './errors.ts';
import { lockSchema } from './lock-schema.ts';
import type { LockEntry, PackageLock } from './lock-schema.ts';
import { parsePackageSpec } from './npm.ts';

/** Name of the synthetic root project (never published; only its one dependency matters). */
const ROOT_NAME = 'warden-catalog-install';

/** How to run npm: an absolute path to the npm program and the PATH it needs (node). */
export interface NpmRunner {
  readonly launcher: Launcher;
  readonly npm: string;
  readonly path: string;
  /**
   * Extra environment for npm on the host (proxy and CA variables of a machine behind a proxy).
   * A sandboxing launcher replaces the proxy variables with its own egress proxy.
   */
  readonly env?: Readonly<Record<string, string>> | undefined;
}

/** Variables npm needs to reach a registry through a proxy or a TLS-inspecting CA. */
const NPM_NETWORK_ENV: readonly string[] = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
];

/** Picks the proxy and CA variables npm needs from an environment reader (config's readEnv). */
export function npmNetworkEnv(read: (name: string) => string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of NPM_NETWORK_ENV) {
    const v = read(k);
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/** The root project's package.json for a package spec: `{ dependencies: { name: version } }`. */
export function rootManifest(spec: string): {
  name: string;
  version: string;
  private: true;
  dependencies: Record<string, string>;
} {
  const { name, version } = parsePackageSpec(spec);
  return { name: ROOT_NAME, version: '0.0.0', private: true, dependencies: { [name]: version } };
}

/** The package-lock.json text `npm ci` is given: the signed packages plus the derived root. */
export function lockfileText(spec: string, lock: PackageLock): string {
  const root = rootManifest(spec);
  const packages: Record<string, unknown> = {
    '': { name: root.name, version: root.version, dependencies: root.dependencies },
  };
  for (const [k, v] of Object.entries(lock.packages)) packages[k] = v;
  return (
    JSON.stringify(
      { name: root.name, version: root.version, lockfileVersion: 3, requires: true, packages },
      null,
      2,
    ) + '\n'
  );
}

const KEPT: readonly (keyof LockEntry)[] = [
  'name',
  'version',
  'resolved',
  'integrity',
  'inBundle',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'optional',
  'peer',
  'bin',
  'os',
  'cpu',
  'libc',
  'hasInstallScript',
];

/**
 * Turns npm's package-lock.json (text) into the catalog's lock: the root is dropped, each entry
 * keeps the fields that shape the install, and the result is validated strictly. A dependency
 * npm cannot pin (git, file, link, no integrity) is refused by name.
 */
export function lockFromNpm(spec: string, text: string): PackageLock {
  let raw: { lockfileVersion?: unknown; packages?: Record<string, Record<string, unknown>> };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch {
    throw new RegistryError('ERR_LOCK_RESOLVE', 'npm wrote a package-lock.json that is not JSON');
  }
  if (raw.lockfileVersion !== 3 || typeof raw.packages !== 'object' || raw.packages === null)
    throw new RegistryError('ERR_LOCK_RESOLVE', 'npm did not write a lockfileVersion 3 package-lock.json');
  const packages: Record<string, Record<string, unknown>> = {};
  for (const [key, entry] of Object.entries(raw.packages)) {
    if (key === '') continue;
    if (entry['link'] === true || (entry['inBundle'] !== true && typeof entry['integrity'] !== 'string'))
      throw new RegistryError(
        'ERR_LOCK_RESOLVE',
        `${key.slice(0, 200)} is not a registry tarball with an integrity hash (git, file or link dependency): it cannot be pinned`,
      );
    const kept: Record<string, unknown> = {};
    for (const f of KEPT) if (entry[f] !== undefined) kept[f] = entry[f];
    packages[key] = kept;
  }
  const r = lockSchema.safeParse({ lockfileVersion: 3, packages });
  if (!r.success)
    throw new RegistryError(
      'ERR_LOCK_RESOLVE',
      `the resolved lock is not acceptable: ${r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  const { name, version } = parsePackageSpec(spec);
  const own = r.data.packages[`node_modules/${name}`];
  if (own?.version !== version)
    throw new RegistryError('ERR_LOCK_RESOLVE', `npm did not resolve ${name}@${version} itself`);
  return r.data;
}

async function runNpm(
  runner: NpmRunner,
  args: string[],
  cwd: string,
  label: string,
): Promise<{ code: number | null; tail: string }> {
  const proc = await runner.launcher.launch({
    command: runner.npm,
    args,
    // HOME is the project: no operator ~/.npmrc changes what is resolved or where it comes from.
    env: { ...runner.env, PATH: runner.path, HOME: cwd },
    cwd,
    label,
  });
  proc.stdin.end();
  let tail = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c: string) => (tail = (tail + c).slice(-4000)));
  proc.stdout.resume();
  const exit = await proc.exited;
  return { code: exit.code, tail };
}

/** Common npm flags: no scripts, no audit/fund/update calls, resolved URLs always recorded. */
export function npmFlags(registry: string, cache: string): string[] {
  return [
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    '--omit-lockfile-registry-resolved=false',
    '--registry',
    registry,
    '--cache',
    cache,
  ];
}

/**
 * Resolves the full dependency tree of `npm:name@version` with npm, without running any package
 * script and without unpacking any tarball, and checks that npm agrees with the catalog's
 * integrity for the package itself.
 */
export async function resolveLock(
  spec: string,
  integrity: string,
  opts: { readonly registry: string; readonly runner: NpmRunner },
): Promise<PackageLock> {
  const { name, version } = parsePackageSpec(spec);
  const dir = mkdtempSync(join(tmpdir(), 'warden-lock-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify(rootManifest(spec), null, 2));
    const r = await runNpm(
      opts.runner,
      ['install', '--package-lock-only', '--omit=dev', ...npmFlags(opts.registry, join(dir, '.npm-cache'))],
      dir,
      `lock:${name}`,
    );
    if (r.code !== 0)
      throw new RegistryError(
        'ERR_LOCK_RESOLVE',
        `npm could not resolve the dependencies of ${name}@${version} (exit ${r.code}): ${lastError(r.tail)}`,
      );
    const lock = lockFromNpm(spec, readFileSync(join(dir, 'package-lock.json'), 'utf8'));
    if (lock.packages[`node_modules/${name}`]?.integrity !== integrity)
      throw new RegistryError(
        'ERR_LOCK_RESOLVE',
        `npm resolved ${name}@${version} with another integrity than the registry metadata`,
      );
    return lock;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The last meaningful `npm error` line of npm's stderr (bounded, printable). */
export function lastError(tail: string): string {
  const lines = tail
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.includes('A complete log of this run'));
  const err = lines.filter((l) => l.startsWith('npm error')).at(-1) ?? lines.at(-1) ?? '';
  return err.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

/** Untrusted text from an installed package.json, bounded and printable for errors and audit. */
function printable(v: unknown, max: number): string {
  return String(v)
    .slice(0, max)
    .replace(/[^\x20-\x7e]/g, '?');
}

function packageNameOf(key: string): string {
  const i = key.lastIndexOf('node_modules/');
  return key.slice(i + 'node_modules/'.length);
}

/**
 * Checks an installed tree against the lock: every package directory under `node_modules`
 * (recursively) must be a lock entry with the same name and version; every lock entry that is
 * not optional must be installed. Symbolic links and stray files are refused. Returns the
 * problems (empty when the tree matches).
 */
export function verifyInstalledTree(projectDir: string, lock: PackageLock): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = (key: string, path: string): void => {
    const entry = Object.hasOwn(lock.packages, key) ? lock.packages[key] : undefined;
    if (entry === undefined) {
      problems.push(`${key}: installed but not in the signed lock`);
      return;
    }
    seen.add(key); // reported once below if it is not what the lock says
    const st = lstatSync(path);
    if (!st.isDirectory()) {
      problems.push(`${key}: is not a package directory${st.isSymbolicLink() ? ' (a link)' : ''}`);
      return;
    }
    let pkg: { name?: unknown; version?: unknown };
    try {
      pkg = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as typeof pkg;
    } catch {
      problems.push(`${key}: has no readable package.json`);
      return;
    }
    const name = entry.name ?? packageNameOf(key);
    if (pkg.name !== name || pkg.version !== entry.version) {
      problems.push(
        `${key}: installed ${printable(pkg.name, 100)}@${printable(pkg.version, 50)}, the lock says ${name}@${entry.version}`,
      );
      return;
    }
    walk(join(path, 'node_modules'), `${key}/node_modules`);
  };
  const walk = (dir: string, prefix: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue; // .bin links, npm's .package-lock.json
      if (n.startsWith('@') && lstatSync(join(dir, n)).isDirectory()) {
        for (const s of readdirSync(join(dir, n)).sort()) visit(`${prefix}/${n}/${s}`, join(dir, n, s));
      } else visit(`${prefix}/${n}`, join(dir, n));
    }
  };
  walk(join(projectDir, 'node_modules'), 'node_modules');
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!seen.has(key) && entry.optional !== true)
      problems.push(`${key}: in the signed lock but not installed`);
  }
  return problems;
}
