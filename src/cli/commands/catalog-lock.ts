/**
 * Dependency locks in the catalog (THREATS RP-4): `warden catalog add` records the locked tree,
 * `warden catalog lock [SERVER…]` (re)locks entries of catalog.yaml (the migration for catalogs
 * written before locking), `warden catalog verify` requires every package entry to carry one.
 * npm resolves the tree with `--package-lock-only --ignore-scripts`: metadata only, no scripts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { AppError } from '../../core/index.ts';
import { readEnv, resolveCommand } from '../../config/index.ts';
import {
  npmNetworkEnv,
  parseCatalogSource,
  RegistryError,
  resolveLock,
  upsertCatalogEntry,
} from '../../registry/index.ts';
import type { Catalog, CatalogEntry, NpmRunner } from '../../registry/index.ts';
import { PlainLauncher } from '../../sandbox/index.ts';
import { print } from '../output.ts';
import type { GlobalOptions } from '../output.ts';
import type { Paths } from './catalog.ts';

class CatalogLockError extends AppError<'ERR_USAGE' | 'ERR_NOT_FOUND'> {}

function runner(): NpmRunner {
  const path = readEnv('PATH') ?? '/usr/local/bin:/usr/bin:/bin';
  const npm = resolveCommand('npm', { PATH: path });
  if (typeof npm === 'string')
    throw new RegistryError('ERR_LOCK_RESOLVE', `dependencies are resolved with npm: ${npm}`);
  return { launcher: new PlainLauncher(), npm: npm.command, path, env: npmNetworkEnv(readEnv) };
}

/** The entry with its dependency tree resolved and locked (a package entry; others unchanged). */
export async function withLock(entry: CatalogEntry, registry: string): Promise<CatalogEntry> {
  if (entry.package === undefined || entry.integrity === undefined) return entry;
  const lock = await resolveLock(entry.package, entry.integrity, { registry, runner: runner() });
  const scripts = Object.entries(lock.packages)
    .filter(([, e]) => e.hasInstallScript === true)
    .map(([k]) => k.slice(k.lastIndexOf('node_modules/') + 13));
  if (scripts.length > 0)
    process.stderr.write(
      `warning: ${entry.name}: ${scripts.join(', ')} declare install scripts; Warden never runs them (--ignore-scripts), so a package that needs one will fail\n`,
    );
  return { ...entry, lock };
}

export function lockSummary(entry: CatalogEntry): string {
  return entry.lock === undefined
    ? 'no lock'
    : `locked ${Object.keys(entry.lock.packages).length} packages (exact versions, tarball URLs, integrity)`;
}

/** Fails (exit 1) naming every package entry without a lock, with the migration. */
export function requireLocks(c: Catalog): void {
  const missing = c.servers.filter((s) => s.package !== undefined && s.lock === undefined).map((s) => s.name);
  if (missing.length > 0)
    throw new RegistryError(
      'ERR_LOCK_MISSING',
      `catalog entries without a dependency lock: ${missing.join(', ')}; run 'warden catalog lock ${missing.join(' ')}' and 'warden catalog sign'`,
    );
}

export function registerLock(catalog: Command, paths: (opts: GlobalOptions) => Paths): void {
  catalog
    .command('lock [servers...]')
    .description(
      "resolve and record the locked dependency tree of package entries in catalog.yaml (all, or the named ones); then 'warden catalog sign'",
    )
    .option('--registry <url>', 'npm registry (default: catalog.registry)')
    .option('--source <file>', 'catalog source to update (default: catalog.yaml)')
    .action(async (servers: string[], o: { registry?: string; source?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const p = paths(opts);
      const source = resolve(o.source ?? p.source);
      if (!existsSync(source))
        throw new CatalogLockError('ERR_NOT_FOUND', `${source}: no such catalog source`);
      let c = parseCatalogSource(readFileSync(source, 'utf8'));
      for (const n of servers) {
        const e = c.servers.find((s) => s.name === n);
        if (e === undefined)
          throw new CatalogLockError('ERR_NOT_FOUND', `no server '${n.slice(0, 64)}' in ${source}`);
        if (e.package === undefined)
          throw new CatalogLockError(
            'ERR_USAGE',
            `server '${e.name}' is a command, not a package: nothing to lock`,
          );
      }
      const chosen = c.servers.filter(
        (s) => s.package !== undefined && (servers.length === 0 || servers.includes(s.name)),
      );
      const done: { server: string; packages: number }[] = [];
      for (const e of chosen) {
        const locked = await withLock(e, o.registry ?? p.registry);
        c = upsertCatalogEntry(c, locked);
        done.push({ server: e.name, packages: Object.keys(locked.lock?.packages ?? {}).length });
      }
      writeFileSync(source, stringify(c, { aliasDuplicateObjects: false }));
      print(opts, { source, locked: done }, () =>
        [
          ...done.map((d) => `${d.server}: locked ${d.packages} packages`),
          done.length === 0
            ? 'no package entries to lock'
            : `${source} updated; sign it with: warden catalog sign`,
        ].join('\n'),
      );
    });
}
