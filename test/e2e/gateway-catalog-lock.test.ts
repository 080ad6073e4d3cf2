/**
 * Dependency locking under `catalog.enforce` end to end (THREATS RP-4): the real
 * `@modelcontextprotocol/server-memory` from the real npm registry, its dependency tree resolved
 * by real npm into the signed catalog entry, installed by `npm ci --ignore-scripts`, listed
 * through a real gateway with the official SDK client. One gateway start covers the locked,
 * the swapped-dependency and the unlocked entry (one install per distinct lock).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, readEnv, resolveCommand } from '../../src/config/index.ts';
import { isAppError } from '../../src/core/index.ts';
import { startGateway } from '../../src/gateway/index.ts';
import type { RunningGateway } from '../../src/gateway/index.ts';
import {
  fetchNpmMetadata,
  generateCatalogKeys,
  resolveLock,
  signCatalog,
  verifyCatalog,
} from '../../src/registry/index.ts';
import type { CatalogInput, PackageLock } from '../../src/registry/index.ts';
import { PlainLauncher } from '../../src/sandbox/index.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';

const REGISTRY = 'https://registry.npmjs.org/';
const POLICY = `permit (principal in Warden::Role::"u", action, resource);`;
const PKG = '@modelcontextprotocol/server-memory';
const VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string }>;
  }
).packages[`node_modules/${PKG}`]!.version;
const SPEC = `npm:${PKG}@${VERSION}`;
/** The dependency whose tarball the "registry" swaps (any locked dependency would do). */
const SWAPPED = 'node_modules/zod';

let integrity: string;
let lock: PackageLock;
let offline: string | undefined;

before(async () => {
  try {
    integrity = (await fetchNpmMetadata(SPEC, { registry: REGISTRY })).integrity;
  } catch (e) {
    if (isAppError(e) && e.code === 'ERR_NPM_METADATA') {
      offline = 'the npm registry is not reachable from this machine';
      return;
    }
    throw e;
  }
  const path = readEnv('PATH') ?? '/usr/bin:/bin';
  const npm = resolveCommand('npm', { PATH: path });
  assert.ok(typeof npm !== 'string', 'npm is needed to resolve locks');
  lock = await resolveLock(SPEC, integrity, {
    registry: REGISTRY,
    runner: { launcher: new PlainLauncher(), npm: npm.command, path },
  });
});

function swappedLock(): PackageLock {
  const copy = structuredClone(lock) as { packages: Record<string, { integrity?: string }> };
  assert.ok(copy.packages[SWAPPED], `${SWAPPED} is a dependency of ${PKG}`);
  copy.packages[SWAPPED].integrity =
    `sha512-${createHash('sha512').update('a different zod').digest('base64')}`;
  return copy as PackageLock;
}

function project() {
  const keys = generateCatalogKeys();
  const catalog: CatalogInput = {
    version: 1,
    servers: [
      { name: 'memory', package: SPEC, integrity, lock },
      { name: 'swapped', package: SPEC, integrity, lock: swappedLock() },
      { name: 'unlocked', package: SPEC, integrity },
    ],
  };
  const server = (name: string) => [
    `  ${name}:`,
    `    package: "${PKG}"`,
    `    env: { MEMORY_FILE_PATH: "/tmp/warden-lock-${name}-${process.pid}.json" }`,
  ];
  return {
    keys,
    catalog,
    files: {
      'catalog.pub': keys.publicKeyPem,
      'catalog.signed.json': signCatalog(catalog, keys.privateKeyPem),
    },
    yaml: () =>
      [
        'version: 1',
        'gateway:',
        '  listen: 127.0.0.1:0',
        'catalog:',
        '  enforce: true',
        `  registry: "${REGISTRY}"`,
        'servers:',
        ...server('memory'),
        ...server('swapped'),
        ...server('unlocked'),
        '',
      ].join('\n'),
  };
}

async function refusals(gw: RunningGateway): Promise<Record<string, string>> {
  const recs = (await gw.services.audit.tail(50)).filter((r) => r.kind === 'catalog.refused');
  return Object.fromEntries(recs.map((r) => [r.server!, `${r.errorCode}: ${r.reasons?.[0]}`]));
}

describe('catalog dependency locks enforced by the gateway', () => {
  let t: TestGateway;
  let closed = false;
  before(async () => {
    if (offline !== undefined) return; // each test skips itself, saying why
    const p = project();
    t = await startTestGateway({ policies: { 'p.cedar': POLICY }, files: p.files, yaml: p.yaml });
  });
  after(async () => {
    if (t === undefined) return;
    if (closed) rmSync(t.dir, { recursive: true, force: true });
    else await t.cleanup();
  });

  const lockedDir = (): string => {
    const pkgs = join(t.dir, '.warden', 'packages');
    const dirs = readdirSync(pkgs).filter(
      (d) => d.startsWith('@modelcontextprotocol+server-memory@') && d.includes('+', 30),
    );
    const done = dirs.filter((d) => existsSync(join(pkgs, d, '.warden-lock')));
    assert.equal(done.length, 1, `one complete locked install, found ${dirs.join(', ')}`);
    return join(pkgs, done[0]!);
  };

  it('[RP-4] a correctly locked server is installed exactly as its signed lock says and its tools are listed (twin)', async (c) => {
    if (offline !== undefined) return c.skip(offline);
    const client = await t.client(await t.agent('a', ['u']));
    const names = (await client.listTools()).tools.map((x) => x.name);
    assert.ok(names.includes('memory.read_graph'), names.join(', '));
    assert.ok(!names.some((n) => n.startsWith('swapped.') || n.startsWith('unlocked.')));
    const r = (await client.callTool({ name: 'memory.read_graph', arguments: {} })) as {
      isError?: boolean;
    };
    assert.notEqual(r.isError, true);
    const dir = lockedDir();
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules', 'zod', 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(installed.version, lock.packages[SWAPPED]!.version);
    const memory = t.gw.services.config.servers.find((s) => s.name === 'memory')!;
    assert.equal(memory.kind === 'stdio' && memory.args[0]!.startsWith(join(dir, 'node_modules', PKG)), true);
    assert.equal((await refusals(t.gw))['memory'], undefined);
  });

  it('[RP-4] a dependency whose registry tarball differs from the signed lock stops that server (npm ci EINTEGRITY), audited', async (c) => {
    if (offline !== undefined) return c.skip(offline);
    const r = await refusals(t.gw);
    assert.match(
      r['swapped']!,
      new RegExp(
        `^ERR_INTEGRITY_MISMATCH: server 'swapped' not started: ${PKG}@${VERSION}: the registry's tarball for ${SWAPPED} does not match the signed lock's integrity`,
      ),
    );
    const client = await t.client(await t.agent('b', ['u']));
    await assert.rejects(client.callTool({ name: 'swapped.read_graph', arguments: {} }), /Unknown tool/);
  });

  it('[RP-4] a catalog entry from before locking (no lock, package with dependencies) is refused with the migration', async (c) => {
    if (offline !== undefined) return c.skip(offline);
    const r = await refusals(t.gw);
    assert.match(
      r['unlocked']!,
      /^ERR_LOCK_MISSING: server 'unlocked' not started: .* has dependencies but its catalog entry has no lock .*run 'warden catalog lock unlocked' and 'warden catalog sign'/,
    );
  });

  it('[RP-4] a package added to the installed tree outside the lock stops the server at the next start', async (c) => {
    if (offline !== undefined) return c.skip(offline);
    const dir = lockedDir();
    await t.gw.close();
    closed = true;
    // The same data directory, now with only the locked server (no second npm ci for the others).
    const p = project();
    const only: CatalogInput = { version: 1, servers: [p.catalog.servers[0]!] };
    writeFileSync(join(t.dir, 'catalog.pub'), p.keys.publicKeyPem);
    writeFileSync(join(t.dir, 'catalog.signed.json'), signCatalog(only, p.keys.privateKeyPem));
    writeFileSync(join(t.dir, 'warden.yaml'), p.yaml().split('  swapped:')[0]!);
    const extra = join(dir, 'node_modules', 'left-pad');
    mkdirSync(extra);
    writeFileSync(join(extra, 'package.json'), JSON.stringify({ name: 'left-pad', version: '1.3.0' }));
    const gw = await startGateway(loadConfig(join(t.dir, 'warden.yaml')), {
      watchPolicies: false,
      launcher: new PlainLauncher(),
    });
    try {
      assert.match(
        (await refusals(gw))['memory']!,
        /^ERR_LOCK_MISMATCH: server 'memory' not started: .*node_modules\/left-pad: installed but not in the signed lock/,
      );
    } finally {
      await gw.close();
    }
  });
});

describe('a lock changed after signing', () => {
  it('[RP-4] fails the signature check the gateway runs at start-up; re-signed it verifies (twin)', (c) => {
    if (offline !== undefined) return c.skip(offline);
    const p = project();
    const env = JSON.parse(p.files['catalog.signed.json']) as {
      payload: { servers: { lock?: { packages: Record<string, { version: string }> } }[] };
    };
    env.payload.servers[0]!.lock!.packages[SWAPPED]!.version = '4.0.0';
    assert.throws(
      () => verifyCatalog(JSON.stringify(env), p.keys.publicKeyPem),
      (e: unknown) => isAppError(e) && e.code === 'ERR_CATALOG_SIGNATURE',
    );
    const good = verifyCatalog(p.files['catalog.signed.json'], p.keys.publicKeyPem);
    assert.equal(good.servers[0]!.lock!.packages[SWAPPED]!.version, lock.packages[SWAPPED]!.version);
  });
});
