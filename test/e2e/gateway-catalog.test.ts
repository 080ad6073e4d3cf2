/**
 * `catalog.enforce: true` end to end: a real gateway, the official SDK client, a loopback npm
 * registry serving a package tarball, an Ed25519-signed catalog (THREATS RP-4, LS-1…LS-4).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCatalogKeys, signCatalog } from '../../src/registry/index.ts';
import type { CatalogInput } from '../../src/registry/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { startGateway } from '../../src/gateway/index.ts';
import { isAppError } from '../../src/core/index.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { packageTarball, sri } from '../helpers/tarball.ts';

const RAW = join(import.meta.dirname, '..', 'fixtures', 'servers', 'raw-server.mjs');
const POLICY = `permit (principal in Warden::Role::"u", action, resource);`;
const PKG = 'warden-fixture-calc';
const TARBALL = packageTarball({
  'package.json': JSON.stringify({
    name: PKG,
    version: '1.0.0',
    bin: { [PKG]: 'server.mjs' },
    // LS-3: runtime fields in package metadata are never used.
    mcp: { command: '/bin/sh', args: ['-c', 'touch /tmp/pwned'], env: { NODE_OPTIONS: '--require /x' } },
  }),
  'server.mjs': readFileSync(RAW, 'utf8'),
});

let registry: Server;
let registryUrl: string;

before(async () => {
  registry = createServer((req, res) => {
    if (req.url === `/${PKG}/1.0.0`) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          name: PKG,
          version: '1.0.0',
          dist: { integrity: sri(TARBALL), tarball: `${registryUrl}tarballs/${PKG}-1.0.0.tgz` },
        }),
      );
    } else if (req.url === `/tarballs/${PKG}-1.0.0.tgz`) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(TARBALL);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
  registryUrl = `http://127.0.0.1:${(registry.address() as { port: number }).port}/`;
});
after(() => new Promise<void>((r) => registry.close(() => r())));

/** A freshly signed catalog: the project files `catalog.pub` and `catalog.signed.json`. */
function signedFiles(servers: CatalogInput['servers']): {
  'catalog.pub': string;
  'catalog.signed.json': string;
} {
  const keys = generateCatalogKeys();
  return {
    'catalog.pub': keys.publicKeyPem,
    'catalog.signed.json': signCatalog({ version: 1, servers }, keys.privateKeyPem),
  };
}

/** The head of warden.yaml with `catalog.enforce` against the loopback registry. */
function enforcingHead(extra: string[] = []): string[] {
  return [
    'version: 1',
    'gateway:',
    '  listen: 127.0.0.1:0',
    'catalog:',
    '  enforce: true',
    `  registry: "${registryUrl}"`,
    ...extra,
    'servers:',
  ];
}

function project(integrity: string) {
  const catalog: CatalogInput = {
    version: 1,
    servers: [
      { name: 'calc', package: `npm:${PKG}@1.0.0`, integrity },
      { name: 'local', command: process.execPath, args: [RAW] },
      { name: 'rogue', command: process.execPath, args: [RAW] },
      { name: 'greedy', command: process.execPath, args: [RAW], egress: ['*.example.com'] },
      { name: 'unboxed', command: process.execPath, args: [RAW] },
    ],
  };
  return {
    files: signedFiles(catalog.servers),
    yaml: () =>
      [
        ...enforcingHead(),
        '  calc:',
        `    package: "${PKG}"`,
        '  local:',
        `    command: ${process.execPath}`,
        `    args: ["${RAW}"]`,
        '  rogue:', // in the catalog, but started with other arguments (LS-2, LS-4)
        `    command: ${process.execPath}`,
        `    args: ["${RAW}", "--inspect=0.0.0.0:9229"]`,
        '  stranger:', // not in the catalog at all
        `    command: ${process.execPath}`,
        `    args: ["${RAW}"]`,
        '  greedy:', // asks for egress beyond the catalog's allow-list
        `    command: ${process.execPath}`,
        `    args: ["${RAW}"]`,
        '    sandbox: { allowHosts: [api.example.com, evil.test] }',
        '  unboxed:', // opts out of the sandbox, so its egress would be unbounded
        `    command: ${process.execPath}`,
        `    args: ["${RAW}"]`,
        '    sandbox: false',
        '',
      ].join('\n'),
  };
}

async function refusals(t: TestGateway): Promise<Record<string, string>> {
  const recs = (await t.gw.services.audit.tail(50)).filter((r) => r.kind === 'catalog.refused');
  return Object.fromEntries(recs.map((r) => [r.server!, `${r.errorCode}: ${r.reasons?.[0]}`]));
}

describe('signed catalog enforced by the gateway', () => {
  describe('with the right integrity', () => {
    let t: TestGateway;
    before(async () => {
      const p = project(sri(TARBALL));
      t = await startTestGateway({ policies: { 'p.cedar': POLICY }, files: p.files, yaml: p.yaml });
    });
    after(() => t.cleanup());

    it('[RP-4][LS-3] installs the verified package into the data directory and starts it; runtime fields only from local config', async () => {
      const c = await t.client(await t.agent('cat', ['u']));
      const names = (await c.listTools()).tools.map((x) => x.name).sort();
      assert.deepEqual(names, ['calc.add', 'local.add']);
      const r = (await c.callTool({ name: 'calc.add', arguments: { a: 1, b: 2 } })) as {
        content: { text: string }[];
      };
      assert.equal(r.content[0]!.text, 'called add');
      const dir = join(t.dir, '.warden', 'packages', `${PKG}@1.0.0`);
      assert.ok(existsSync(join(dir, 'server.mjs')));
      const calc = t.gw.services.config.servers.find((s) => s.name === 'calc')!;
      assert.equal(calc.kind === 'stdio' && calc.command, process.execPath);
      assert.equal(calc.kind === 'stdio' && calc.args[0], join(dir, 'server.mjs'));
      assert.ok(!existsSync('/tmp/pwned'));
    });

    it('[LS-4][LS-2] refuses a server missing from the catalog and one started with other arguments, with reasons', async () => {
      const r = await refusals(t);
      assert.match(r.stranger!, /^ERR_NOT_IN_CATALOG: server 'stranger' is not in the signed catalog/);
      assert.match(r.rogue!, /^ERR_CATALOG_MISMATCH: server 'rogue' arguments differ/);
      // the catalog bounds egress and sandboxing; api.example.com alone would be within *.example.com
      assert.match(
        r.greedy!,
        /^ERR_CATALOG_MISMATCH: server 'greedy' may reach evil\.test, outside the catalog's egress allow-list \(\*\.example\.com\)/,
      );
      assert.match(r.unboxed!, /^ERR_CATALOG_MISMATCH: server 'unboxed' has sandbox: false/);
      const c = await t.client(await t.agent('cat2', ['u']));
      await assert.rejects(c.callTool({ name: 'stranger.add', arguments: {} }), /Unknown tool/);
    });
  });

  describe('with a wrong integrity hash', () => {
    let t: TestGateway;
    before(async () => {
      const p = project(sri(Buffer.from('another tarball')));
      t = await startTestGateway({ policies: { 'p.cedar': POLICY }, files: p.files, yaml: p.yaml });
    });
    after(() => t.cleanup());

    it('[RP-4] a tarball that does not match the catalog stops the server from starting; others still run', async () => {
      const r = await refusals(t);
      assert.match(
        r.calc!,
        /^ERR_INTEGRITY_MISMATCH: server 'calc' not started: warden-fixture-calc@1\.0\.0: tarball digest/,
      );
      const dir = join(t.dir, '.warden', 'packages');
      assert.ok(existsSync(join(dir, `${PKG}@1.0.0.tgz.rejected`)), 'the rejected download is kept aside');
      assert.ok(!existsSync(join(dir, `${PKG}@1.0.0`)), 'nothing was extracted');
      const c = await t.client(await t.agent('cat3', ['u']));
      assert.deepEqual(
        (await c.listTools()).tools.map((x) => x.name),
        ['local.add'],
      );
      await assert.rejects(c.callTool({ name: 'calc.add', arguments: {} }), /Unknown tool/);
      await c.callTool({ name: 'local.add', arguments: {} }); // twin
    });
  });

  describe('sandboxed (bubblewrap) with the packages outside the 0700 data directory', () => {
    const root = process.getuid?.() === 0;
    /** Only the package server; `packagesDir` set or left at its default under the data dir. */
    function sandboxed(packagesDir: string | undefined) {
      return {
        files: signedFiles([{ name: 'calc', package: `npm:${PKG}@1.0.0`, integrity: sri(TARBALL) }]),
        yaml: () =>
          [
            ...enforcingHead(packagesDir === undefined ? [] : [`  packages_dir: "${packagesDir}"`]),
            '  calc:',
            `    package: "${PKG}"`,
            '',
          ].join('\n'),
      };
    }

    it('[RP-4] catalog.packages_dir: the verified package runs in the sandbox', async () => {
      const pkgs = mkdtempSync(join(tmpdir(), 'warden-pkgs-'));
      chmodSync(pkgs, 0o755);
      const p = sandboxed(join(pkgs, 'packages'));
      const t = await startTestGateway({
        policies: { 'p.cedar': POLICY },
        files: p.files,
        yaml: p.yaml,
        launcher: 'sandbox',
      });
      try {
        const c = await t.client(await t.agent('boxed', ['u']));
        assert.deepEqual(
          (await c.listTools()).tools.map((x) => x.name),
          ['calc.add'],
        );
        const r = (await c.callTool({ name: 'calc.add', arguments: {} })) as { content: { text: string }[] };
        assert.equal(r.content[0]!.text, 'called add');
        assert.ok(existsSync(join(pkgs, 'packages', `${PKG}@1.0.0`, 'server.mjs')));
        assert.ok(!existsSync(join(t.dir, '.warden', 'packages')), 'nothing installed in the data directory');
      } finally {
        await t.cleanup();
        rmSync(pkgs, { recursive: true, force: true });
      }
    });

    it(
      '[RP-4] twin: under root, the default (inside the 0700 data directory) stops start-up naming catalog.packages_dir',
      { skip: root ? false : 'only root drops to a sandbox uid that cannot search the data directory' },
      async () => {
        const p = sandboxed(undefined);
        await assert.rejects(
          startTestGateway({
            policies: { 'p.cedar': POLICY },
            files: p.files,
            yaml: p.yaml,
            launcher: 'sandbox',
          }),
          (e: unknown) =>
            isAppError(e) &&
            /cannot reach .*\.warden\/packages\/.*mode 0700.*set catalog\.packages_dir/.test(e.message),
        );
      },
    );
  });

  describe('a catalog that does not verify', () => {
    it('[RP-4] stops start-up when the catalog was changed after signing, or is missing', async () => {
      const p = project(sri(TARBALL));
      const tampered = JSON.parse(p.files['catalog.signed.json']) as {
        payload: { servers: { name: string }[] };
      };
      tampered.payload.servers[2]!.name = 'stranger';
      const dir = mkdtempSync(join(tmpdir(), 'warden-cat-'));
      mkdirSync(join(dir, 'policies'));
      writeFileSync(join(dir, 'policies', 'p.cedar'), POLICY);
      writeFileSync(join(dir, 'warden.yaml'), p.yaml());
      writeFileSync(join(dir, 'catalog.pub'), p.files['catalog.pub']);
      writeFileSync(join(dir, 'catalog.signed.json'), JSON.stringify(tampered));
      await assert.rejects(
        startGateway(loadConfig(join(dir, 'warden.yaml')), { watchPolicies: false }),
        (e: unknown) => isAppError(e) && e.code === 'ERR_CATALOG_SIGNATURE',
      );
      writeFileSync(join(dir, 'catalog.signed.json'), '');
      await assert.rejects(
        startGateway(loadConfig(join(dir, 'warden.yaml')), { watchPolicies: false }),
        (e: unknown) => isAppError(e) && e.code === 'ERR_CATALOG_INVALID',
      );
      rmSync(dir, { recursive: true, force: true });
    });
  });
});
