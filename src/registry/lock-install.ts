/**
 * Installs a catalog package WITH its dependencies exactly as the signed lock says (RP-4):
 * a project directory gets the derived root package.json and the signed package-lock.json, and
 * `npm ci --ignore-scripts` installs it. npm checks every tarball's digest against the lock's
 * integrity (EINTEGRITY otherwise) and refuses a lock that does not match the root; afterwards
 * the installed tree is compared with the lock (names and versions; nothing extra, nothing
 * missing). The install directory is named after the lock's hash and marked once complete;
 * every start re-checks the tree.
 *
 * Under a sandboxing launcher npm runs in a sandbox whose only writable place is the project
 * (bound as its workspace) and whose only reachable host is the registry.
 */
import { createHash } from 'node:crypto';
import {
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { canonicalJson } from '../core/index.ts';
import type { CatalogEntry } from './catalog-schema.ts';
import { RegistryError } from './errors.ts';
import { lastError, lockfileText, npmFlags, rootManifest, verifyInstalledTree } from './lock.ts';
import type { NpmRunner } from './lock.ts';
import type { PackageLock } from './lock-schema.ts';
import { parsePackageSpec } from './npm.ts';
import { pickBin } from './bin.ts';

export interface LockedInstall {
  /** The project directory (package.json, package-lock.json, node_modules). */
  readonly dir: string;
  /** Absolute path of the package's script to run with Node.js. */
  readonly bin: string;
}

const MARKER = '.warden-lock';

/** `sha256:<hex>` of the lock's canonical JSON: names an install of exactly this lock. */
export function lockHash(lock: PackageLock): string {
  return `sha256:${createHash('sha256').update(canonicalJson(lock)).digest('hex')}`;
}

/**
 * The first locked package whose tarball URL is on neither the registry's host nor
 * registry.npmjs.org (which npm rewrites to the configured registry), as `key (host)`.
 */
function offRegistry(lock: PackageLock, registry: string): string | undefined {
  const allowed = new Set([new URL(registry).host, 'registry.npmjs.org']);
  for (const [key, e] of Object.entries(lock.packages)) {
    if (e.resolved === undefined) continue;
    const host = new URL(e.resolved).host;
    if (!allowed.has(host)) return `${key} (${host.slice(0, 100)})`;
  }
  return undefined;
}

/** Maps npm's EINTEGRITY message back to the lock entry whose integrity was wanted. */
function integrityFailure(tail: string, lock: PackageLock): string | undefined {
  if (!tail.includes('EINTEGRITY')) return undefined;
  const wanted = /wanted (sha(?:512|384|256)-[A-Za-z0-9+/]+={0,2})/.exec(tail)?.[1];
  const key = Object.entries(lock.packages).find(
    ([, e]) => wanted !== undefined && e.integrity === wanted,
  )?.[0];
  return key ?? 'a locked package';
}

/**
 * Runs `npm ci` in the project. Unsandboxed, npm's cache is shared by the installs under the
 * packages directory (content-addressed, read back by integrity); sandboxed, the only writable
 * place is the project, so the cache lives there for one install and is removed after it.
 */
async function npmCi(dir: string, registry: string, runner: NpmRunner, label: string) {
  const boxed = runner.launcher.kind !== 'plain';
  const inside = boxed ? '/workspace' : dir;
  // As root, the sandbox writes the project as the unprivileged sandbox uid; ownership returns
  // to root once npm is done, so no sandbox can change the verified tree afterwards.
  const owner = boxed && process.getuid?.() === 0 ? SANDBOX_UID : undefined;
  if (owner !== undefined) chownSync(dir, owner, owner);
  const cache = boxed ? join(inside, '.npm-cache') : join(dir, '..', '.npm-cache');
  const url = new URL(registry);
  const port = url.port === '' ? [] : [Number(url.port)];
  const proc = await runner.launcher.launch({
    command: runner.npm,
    args: ['ci', '--omit=dev', '--no-bin-links', ...npmFlags(registry, cache)],
    env: { ...runner.env, PATH: runner.path, HOME: inside },
    cwd: inside,
    label,
    sandbox: {
      workspace: { mode: 'bind', path: dir },
      egress: { allowHosts: [url.hostname], allowPorts: port },
      ...(owner === undefined ? {} : { uid: owner, gid: owner }),
    },
  });
  proc.stdin.end();
  let tail = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c: string) => (tail = (tail + c).slice(-8000)));
  proc.stdout.resume();
  const exit = await proc.exited;
  if (owner !== undefined) chownTree(dir, 0, 0);
  return { code: exit.code, signal: exit.signal, tail };
}

/** The sandbox uid npm runs as when Warden is root (the sandbox module's default, nobody). */
const SANDBOX_UID = 65534;

function chownTree(path: string, uid: number, gid: number): void {
  lchownSync(path, uid, gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const n of readdirSync(path)) chownTree(join(path, n), uid, gid);
}

/**
 * Installs (once per lock) and checks (every time) the locked tree of a catalog package; returns
 * the bin of the package itself inside it. Throws ERR_LOCK_MISSING without a lock,
 * ERR_INTEGRITY_MISMATCH when npm finds a tarball that differs from the lock, ERR_LOCK_MISMATCH
 * when the installed tree is not the lock's, ERR_PACKAGE_INSTALL when npm fails otherwise.
 */
export async function installLocked(
  entry: CatalogEntry,
  opts: { readonly dir: string; readonly registry: string; readonly runner: NpmRunner },
): Promise<LockedInstall> {
  if (entry.package === undefined) throw new TypeError(`catalog entry ${entry.name} names no package`);
  const { name, version } = parsePackageSpec(entry.package);
  const label = `${name}@${version}`;
  const lock = entry.lock;
  if (lock === undefined)
    throw new RegistryError(
      'ERR_LOCK_MISSING',
      `${label} has dependencies but its catalog entry has no lock (a catalog from before dependency locking): run 'warden catalog lock ${entry.name}' and 'warden catalog sign'`,
      { name, version },
    );
  const offHost = offRegistry(lock, opts.registry);
  if (offHost !== undefined)
    throw new RegistryError(
      'ERR_LOCK_MISMATCH',
      `${label}: the signed lock fetches ${offHost} from outside the registry (${new URL(opts.registry).host} or registry.npmjs.org); re-lock it against this registry`,
      { name, version },
    );
  const hash = lockHash(lock);
  // One directory per lock: two entries (or two catalog versions) never share a tree.
  const dir = join(opts.dir, `${name.replace('/', '+')}@${version}+${hash.slice(7, 23)}`);
  const marker = join(dir, MARKER);
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== hash) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'package.json'), JSON.stringify(rootManifest(entry.package), null, 2) + '\n');
    writeFileSync(join(dir, 'package-lock.json'), lockfileText(entry.package, lock));
    const r = await npmCi(dir, opts.registry, opts.runner, `install:${entry.name}`);
    rmSync(join(dir, '.npm-cache'), { recursive: true, force: true });
    if (r.code !== 0) {
      rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
      const bad = integrityFailure(r.tail, lock);
      if (bad !== undefined)
        throw new RegistryError(
          'ERR_INTEGRITY_MISMATCH',
          `${label}: the registry's tarball for ${bad} does not match the signed lock's integrity (npm ci: EINTEGRITY); nothing was installed`,
          { name, version },
        );
      throw new RegistryError(
        'ERR_PACKAGE_INSTALL',
        `${label}: npm ci failed (exit ${r.code ?? r.signal}): ${lastError(r.tail)}`,
        { name, version },
      );
    }
  }
  const problems = verifyInstalledTree(dir, lock);
  if (problems.length > 0) {
    rmSync(marker, { force: true });
    throw new RegistryError(
      'ERR_LOCK_MISMATCH',
      `${label}: the installed tree differs from the signed lock: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}`,
      { name, version },
    );
  }
  writeFileSync(marker, hash);
  return { dir, bin: ownBin(dir, name, label) };
}

function ownBin(dir: string, name: string, label: string): string {
  const base = join(dir, 'node_modules', name);
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(join(base, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    throw new RegistryError('ERR_PACKAGE_INSTALL', `${label} has no readable package.json`);
  }
  const rel = pickBin(pkg.bin, name);
  const bin = rel === undefined ? undefined : resolve(base, rel);
  if (bin === undefined || !bin.startsWith(base + sep) || !existsSync(bin))
    throw new RegistryError('ERR_PACKAGE_INSTALL', `${label} has no bin to run`);
  return bin;
}
