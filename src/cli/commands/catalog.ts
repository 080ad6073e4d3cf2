import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { AppError } from '../../core/index.ts';
import { loadConfig } from '../../config/index.ts';
import {
  catalogEntryFromNpm,
  fetchNpmMetadata,
  generateCatalogKeys,
  parseCatalog,
  parseCatalogSource,
  signCatalog,
  upsertCatalogEntry,
  verifyCatalog,
  writeCatalogKeys,
} from '../../registry/index.ts';
import { collect, print, table } from '../output.ts';
import { lockSummary, registerLock, requireLocks, withLock } from './catalog-lock.ts';
import type { GlobalOptions } from '../output.ts';

class CatalogCliError extends AppError<'ERR_USAGE' | 'ERR_NOT_FOUND'> {}

export interface Paths {
  readonly source: string;
  readonly signed: string;
  readonly publicKey: string;
  readonly privateKey: string;
  readonly registry: string;
}

/** File locations: from warden.yaml's `catalog` block when there is one, else next to it. */
export function paths(opts: GlobalOptions): Paths {
  if (existsSync(opts.config)) {
    const cfg = loadConfig(opts.config, opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
    return {
      source: resolve(cfg.baseDir, 'catalog.yaml'),
      signed: cfg.catalog.file,
      publicKey: cfg.catalog.publicKey,
      privateKey: resolve(cfg.baseDir, 'catalog.key'),
      registry: cfg.catalog.registry,
    };
  }
  const base = dirname(resolve(opts.config));
  return {
    source: resolve(base, 'catalog.yaml'),
    signed: resolve(base, 'catalog.signed.json'),
    publicKey: resolve(base, 'catalog.pub'),
    privateKey: resolve(base, 'catalog.key'),
    registry: 'https://registry.npmjs.org/',
  };
}

function read(path: string, what: string): string {
  if (!existsSync(path)) throw new CatalogCliError('ERR_NOT_FOUND', `${path}: no such ${what}`);
  return readFileSync(path, 'utf8');
}

/** `@modelcontextprotocol/server-filesystem` → `filesystem`. */
function defaultName(pkg: string): string {
  return (pkg.split('/').pop() ?? pkg).replace(/^(?:mcp-server-|server-|mcp-)/, '').slice(0, 32);
}

/**
 * `warden catalog`: the signed catalog of admitted servers (THREATS RP-4, LS-3, LS-4). The
 * source is `catalog.yaml`; `sign` writes the Ed25519-signed envelope the gateway loads when
 * `catalog.enforce` is on; `verify` checks it with the public key.
 */
export function register(program: Command): void {
  const catalog = program
    .command('catalog')
    .description('the signed catalog of admitted MCP servers (packages with integrity, commands, tool pins)');
  catalog
    .command('keygen')
    .description('create an Ed25519 key pair: catalog.key (0600, keep it offline) and catalog.pub')
    .option('--key <file>', 'private key path (default: catalog.key next to warden.yaml)')
    .option('--pub <file>', 'public key path (default: catalog.public_key)')
    .action((o: { key?: string; pub?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const p = paths(opts);
      const pair = generateCatalogKeys();
      const key = resolve(o.key ?? p.privateKey);
      const pub = resolve(o.pub ?? p.publicKey);
      if (existsSync(key))
        throw new CatalogCliError('ERR_USAGE', `${key} exists; refusing to overwrite a key`);
      writeCatalogKeys(pair, key, pub);
      print(
        opts,
        { keyId: pair.keyId, privateKey: key, publicKey: pub },
        () => `wrote ${key} (0600) and ${pub}\nkey id ${pair.keyId}`,
      );
    });
  catalog
    .command('add <spec>')
    .description(
      "add or replace a package entry: 'npm:<name>@<exact version>'; records the registry's integrity hash and the locked dependency tree (runtime fields come only from these options)",
    )
    .option('--name <name>', 'server name in warden.yaml (default: from the package name)')
    .option('--arg <arg>', 'an argument (repeatable)', collect, [])
    .option('--secret <name>', 'a secret the server needs (repeatable)', collect, [])
    .option('--egress <host>', 'a host the server may reach (repeatable)', collect, [])
    .option('--tool <name=sha256:…>', 'an expected tool pin (repeatable)', collect, [])
    .option('--registry <url>', 'npm registry (default: catalog.registry)')
    .option('--source <file>', 'catalog source to update (default: catalog.yaml)')
    .action(
      async (
        spec: string,
        o: {
          name?: string;
          arg: string[];
          secret: string[];
          egress: string[];
          tool: string[];
          registry?: string;
          source?: string;
        },
        cmd: Command,
      ) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const p = paths(opts);
        const source = resolve(o.source ?? p.source);
        const tools: Record<string, string> = {};
        for (const t of o.tool) {
          const i = t.indexOf('=');
          if (i < 1)
            throw new CatalogCliError('ERR_USAGE', `--tool takes name=sha256:…, not ${t.slice(0, 80)}`);
          tools[t.slice(0, i)] = t.slice(i + 1);
        }
        const registry = o.registry ?? p.registry;
        const meta = await fetchNpmMetadata(spec, { registry });
        const unlocked = catalogEntryFromNpm(meta, {
          name: o.name ?? defaultName(meta.name),
          args: o.arg,
          tools,
          secrets: o.secret,
          egress: o.egress,
        });
        const entry = await withLock(unlocked, registry);
        const current = existsSync(source)
          ? parseCatalogSource(readFileSync(source, 'utf8'))
          : parseCatalog({ version: 1, servers: [] });
        const next = upsertCatalogEntry(current, entry);
        writeFileSync(source, stringify(next, { aliasDuplicateObjects: false }));
        print(
          opts,
          entry,
          () =>
            `${source}: ${entry.name} = ${entry.package} (${entry.integrity})\n${lockSummary(entry)}\nsign it with: warden catalog sign`,
        );
      },
    );
  registerLock(catalog, paths);
  catalog
    .command('sign')
    .description('sign catalog.yaml with the private key into the file the gateway loads (catalog.file)')
    .option('--key <file>', 'private key (default: catalog.key next to warden.yaml)')
    .option('--source <file>', 'catalog source (default: catalog.yaml)')
    .option('-o, --output <file>', 'signed catalog (default: catalog.file)')
    .action((o: { key?: string; source?: string; output?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const p = paths(opts);
      const source = resolve(o.source ?? p.source);
      const out = resolve(o.output ?? p.signed);
      const text = signCatalog(
        parseCatalogSource(read(source, 'catalog source')),
        read(resolve(o.key ?? p.privateKey), 'private key'),
      );
      writeFileSync(out, text);
      const n = (JSON.parse(text) as { payload: { servers: unknown[] } }).payload.servers.length;
      print(opts, { signed: out, servers: n }, () => `signed ${n} servers into ${out}`);
    });
  catalog
    .command('verify')
    .description(
      'verify the signed catalog with the public key and that every package entry carries its signed lock; exit 1 names what is wrong',
    )
    .option('--pub <file>', 'public key (default: catalog.public_key)')
    .option('--file <file>', 'signed catalog (default: catalog.file)')
    .action((o: { pub?: string; file?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const p = paths(opts);
      const file = resolve(o.file ?? p.signed);
      const c = verifyCatalog(
        read(file, 'signed catalog'),
        read(resolve(o.pub ?? p.publicKey), 'public key'),
      );
      // The lock is part of the signed payload: it verified with the signature above.
      requireLocks(c);
      print(opts, c, () =>
        [
          `ok: ${file} is signed by the trusted key (${c.servers.length} servers); every package's lock is covered by the signature`,
          table([
            ['SERVER', 'SOURCE', 'TOOLS', 'LOCKED'],
            ...c.servers.map((s) => [
              s.name,
              s.package ?? s.command ?? '-',
              String(Object.keys(s.tools).length),
              s.lock === undefined ? '-' : `${Object.keys(s.lock.packages).length} packages`,
            ]),
          ]),
        ].join('\n'),
      );
    });
}
