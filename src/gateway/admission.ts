/**
 * `catalog.enforce: true` (issue 6; THREATS RP-4, LS-1…LS-4): at start-up the signed catalog is
 * verified with the trusted public key (start-up fails if it is not), and only the servers it
 * admits are started. A package server runs the copy installed in the data directory from a
 * tarball whose digest matched the catalog's integrity before first launch (with dependencies:
 * from `npm ci` of the entry's signed lock, checked against it after install); anything else is
 * refused with its reason (logged and audited) and does not exist for agents.
 */
import { readFileSync } from 'node:fs';
import type { ServerConfig, StdioServerConfig, WardenConfig } from '../config/index.ts';
import { readEnv, resolveCommand } from '../config/index.ts';
import { isAppError } from '../core/index.ts';
import type { Logger } from '../core/index.ts';
import {
  admitServer,
  installLocked,
  installVerified,
  npmNetworkEnv,
  RegistryError,
  verifyCatalog,
} from '../registry/index.ts';
import type { CatalogEntry, NpmRunner } from '../registry/index.ts';
import type { Launcher } from '../sandbox/index.ts';
import { secretNamesOf } from './secrets.ts';

export interface Refusal {
  readonly server: string;
  readonly code: string;
  readonly reason: string;
}

export interface Admission {
  /** The configuration with only admitted servers (package servers point at their installed bin). */
  readonly config: WardenConfig;
  readonly catalog: ReadonlyMap<string, CatalogEntry>;
  readonly refused: readonly Refusal[];
}

function readTrusted(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new RegistryError(
      'ERR_CATALOG_INVALID',
      `catalog.enforce is on but the ${what} ${path} cannot be read (fail closed: no server starts)`,
    );
  }
}

/** npm (absolute path) and the PATH it runs with, for installing locked dependencies. */
function npmRunner(launcher: Launcher): NpmRunner {
  const path = readEnv('PATH') ?? '/usr/local/bin:/usr/bin:/bin';
  const npm = resolveCommand('npm', { PATH: path });
  if (typeof npm === 'string')
    throw new RegistryError('ERR_PACKAGE_INSTALL', `dependencies are installed with npm ci: ${npm}`);
  // Sandboxed, npm reaches the registry through the sandbox's own egress proxy.
  return { launcher, npm: npm.command, path, env: launcher.kind === 'plain' ? npmNetworkEnv(readEnv) : {} };
}

async function admitOne(
  s: ServerConfig,
  catalog: ReturnType<typeof verifyCatalog>,
  config: WardenConfig,
  launcher: Launcher,
): Promise<{ server: ServerConfig; entry: CatalogEntry } | Refusal> {
  if (s.kind === 'remote') {
    return {
      server: s.name,
      code: 'ERR_NOT_IN_CATALOG',
      reason: `server '${s.name}' is remote; the catalog admits packages and commands only`,
    };
  }
  const admitted = admitServer(catalog, {
    name: s.name,
    ...(s.package === undefined ? { command: s.command, args: s.args } : { package: s.package }),
  });
  if (!admitted.ok) return { server: s.name, code: admitted.code, reason: admitted.message };
  const entry = admitted.value;
  const beyond = beyondCatalog(s, entry, config);
  if (beyond !== undefined) return { server: s.name, code: 'ERR_CATALOG_MISMATCH', reason: beyond };
  if (entry.package === undefined) return { server: s, entry };
  try {
    const pkg = await installVerified(entry, {
      dir: config.catalog.packagesDir,
      registry: config.catalog.registry,
    });
    // With dependencies, the package runs from the install of its signed lock (npm ci).
    const bin =
      pkg.dependencies.length === 0
        ? pkg.bin
        : (
            await installLocked(entry, {
              dir: config.catalog.packagesDir,
              registry: config.catalog.registry,
              runner: npmRunner(launcher),
            })
          ).bin;
    const server: StdioServerConfig = { ...s, command: process.execPath, args: [bin, ...s.args] };
    return { server: Object.freeze(server), entry };
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { server: s.name, code: e.code, reason: `server '${s.name}' not started: ${e.message}` };
  }
}

/**
 * The signed catalog bounds what the local configuration may hand a server: its egress
 * allow-list and the secrets it receives must be within the catalog entry's, and a catalog
 * server runs sandboxed (unsandboxed, its egress would be unbounded). Undefined when within.
 */
export function beyondCatalog(
  s: StdioServerConfig,
  entry: CatalogEntry,
  config: WardenConfig,
): string | undefined {
  if (s.sandbox === false)
    return `server '${s.name}' has sandbox: false, but a catalog server runs sandboxed (its egress is bounded by the catalog)`;
  const own = s.sandbox;
  const profileName = typeof own.profile === 'string' ? own.profile : undefined;
  const profile = profileName === undefined ? undefined : config.sandboxProfiles[profileName];
  const hosts = own.allowHosts ?? profile?.allowHosts ?? [];
  const outside = (Array.isArray(hosts) ? hosts : [])
    .map((h) => String(h))
    .filter((h) => !entry.egress.some((allowed) => egressCovers(allowed, h)));
  if (outside.length > 0)
    return `server '${s.name}' may reach ${outside.join(', ')}, outside the catalog's egress allow-list (${entry.egress.join(', ') || 'none'})`;
  const secrets = secretNamesOf(s).filter((n) => !entry.secrets.includes(n));
  if (secrets.length > 0)
    return `server '${s.name}' would receive secret(s) ${secrets.join(', ')}, which the catalog does not list for it`;
  return undefined;
}

/** Whether catalog egress entry `allowed` (host, `*.domain`, optional `:port`) covers local entry `h`. */
function egressCovers(allowed: string, h: string): boolean {
  const a = allowed.toLowerCase();
  const l = h.toLowerCase();
  if (a === l) return true;
  if (!a.startsWith('*.') || a.includes(':') || l.includes(':')) return false;
  const domain = a.slice(1); // ".example.com"
  return l.endsWith(domain) || (l.startsWith('*.') && l.slice(1).endsWith(domain));
}

export async function admitFromCatalog(
  config: WardenConfig,
  deps: { launcher: Launcher; logger: Logger },
): Promise<Admission> {
  const catalog = verifyCatalog(
    readTrusted(config.catalog.file, 'signed catalog'),
    readTrusted(config.catalog.publicKey, 'catalog public key'),
  );
  const servers: ServerConfig[] = [];
  const entries = new Map<string, CatalogEntry>();
  const refused: Refusal[] = [];
  for (const s of config.servers) {
    const r = await admitOne(s, catalog, config, deps.launcher);
    if ('code' in r) {
      deps.logger.warn('server refused by the catalog', { server: r.server, code: r.code, reason: r.reason });
      refused.push(r);
    } else {
      servers.push(r.server);
      entries.set(r.server.name, r.entry);
    }
  }
  return { config: Object.freeze({ ...config, servers }), catalog: entries, refused };
}
