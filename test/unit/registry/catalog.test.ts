import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  admitServer,
  catalogEntryFromNpm,
  catalogKeyId,
  checkCatalogTools,
  generateCatalogKeys,
  parseCatalog,
  parseCatalogSource,
  upsertCatalogEntry,
  pinHash,
  RegistryError,
  signCatalog,
  verifyCatalog,
  writeCatalogKeys,
} from '../../../src/registry/index.ts';
import type { CatalogInput } from '../../../src/registry/index.ts';

const readFile = { name: 'read_file', description: 'Read a file.', inputSchema: { type: 'object' } };
const catalog: CatalogInput = {
  version: 1,
  servers: [
    {
      name: 'filesystem',
      package: 'npm:@modelcontextprotocol/server-filesystem@2026.8.31',
      integrity: 'sha512-' + Buffer.alloc(64, 7).toString('base64'),
      tools: { read_file: pinHash(readFile) },
      secrets: [],
      egress: [],
    },
    {
      name: 'local',
      command: '/usr/local/bin/my-mcp',
      args: ['--stdio'],
      secrets: ['GITHUB_TOKEN'],
      egress: ['api.github.com', '*.githubusercontent.com:443'],
    },
  ],
};
const code = (c: string) => (e: unknown) => e instanceof RegistryError && e.code === c;

describe('catalog signing (Ed25519)', () => {
  const keys = generateCatalogKeys();

  it('[RP-4] verifies a catalog signed with the matching key and returns it frozen', () => {
    const signed = signCatalog(catalog, keys.privateKeyPem);
    const c = verifyCatalog(signed, keys.publicKeyPem);
    assert.equal(c.servers.length, 2);
    assert.equal(c.servers[1]!.command, '/usr/local/bin/my-mcp');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.servers[0]));
    assert.match(keys.keyId, /^sha256:[0-9a-f]{64}$/);
    assert.equal(catalogKeyId(keys.privateKeyPem), keys.keyId);
  });

  it('[RP-4] rejects a catalog whose payload was changed after signing', () => {
    const env = JSON.parse(signCatalog(catalog, keys.privateKeyPem)) as {
      payload: { servers: { integrity?: string; args?: string[] }[] };
    };
    env.payload.servers[1]!.args = ['--stdio', '--allow-all'];
    assert.throws(() => verifyCatalog(JSON.stringify(env), keys.publicKeyPem), code('ERR_CATALOG_SIGNATURE'));
  });

  it('[RP-4] rejects a catalog signed by another key, and garbage envelopes', () => {
    const other = generateCatalogKeys();
    assert.throws(
      () => verifyCatalog(signCatalog(catalog, other.privateKeyPem), keys.publicKeyPem),
      code('ERR_CATALOG_SIGNATURE'),
    );
    assert.throws(() => verifyCatalog('not json', keys.publicKeyPem), code('ERR_CATALOG_INVALID'));
    assert.throws(
      () => verifyCatalog(JSON.stringify({ payload: catalog, signatures: [] }), keys.publicKeyPem),
      code('ERR_CATALOG_INVALID'),
    );
    assert.throws(
      () => verifyCatalog(signCatalog(catalog, keys.privateKeyPem), 'not a key'),
      code('ERR_CATALOG_KEY'),
    );
  });

  it('writes the private key with mode 0600 and refuses to overwrite it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-keys-'));
    try {
      writeCatalogKeys(keys, join(dir, 'catalog.key'), join(dir, 'catalog.pub'));
      assert.equal(statSync(join(dir, 'catalog.key')).mode & 0o777, 0o600);
      assert.throws(() => writeCatalogKeys(keys, join(dir, 'catalog.key'), join(dir, 'catalog.pub')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('catalog schema', () => {
  const bad: [string, unknown][] = [
    ['a version range', { name: 'a', package: 'npm:left-pad@^1.0.0', integrity: 'sha512-AAAA' }],
    ['a dist tag', { name: 'a', package: 'npm:left-pad@latest', integrity: 'sha512-AAAA' }],
    ['a package without integrity', { name: 'a', package: 'npm:left-pad@1.3.0' }],
    ['a relative command', { name: 'a', command: './run.sh' }],
    [
      'both package and command',
      { name: 'a', command: '/bin/x', package: 'npm:x@1.0.0', integrity: 'sha512-AAAA' },
    ],
    ['a bare * egress', { name: 'a', command: '/bin/x', egress: ['*'] }],
    ['a secret name that is not an identifier', { name: 'a', command: '/bin/x', secrets: ['A-B'] }],
    ['a malformed pin', { name: 'a', command: '/bin/x', tools: { t: 'md5:abc' } }],
    ['an unknown key (e.g. env)', { name: 'a', command: '/bin/x', env: { LD_PRELOAD: '/x.so' } }],
  ];
  for (const [what, entry] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(() => parseCatalog({ version: 1, servers: [entry] }), code('ERR_CATALOG_INVALID'));
    });
  }
  it('accepts the reference catalog and rejects duplicate names', () => {
    assert.equal(parseCatalog(catalog).servers.length, 2);
    assert.throws(
      () => parseCatalog({ version: 1, servers: [catalog.servers[1], catalog.servers[1]] }),
      code('ERR_CATALOG_INVALID'),
    );
  });
});

describe('admission', () => {
  const c = parseCatalog(catalog);
  it('[LS-4] admits a server that matches its entry (package or exact command and args)', () => {
    assert.ok(admitServer(c, { name: 'filesystem', package: '@modelcontextprotocol/server-filesystem' }).ok);
    assert.ok(admitServer(c, { name: 'local', command: '/usr/local/bin/my-mcp', args: ['--stdio'] }).ok);
  });
  it('[LS-4] refuses unknown servers and any difference in package, command or args, with a reason', () => {
    const cases = [
      admitServer(c, { name: 'ghost', command: '/bin/true' }),
      admitServer(c, { name: 'filesystem', package: '@evil/server-filesystem' }),
      admitServer(c, { name: 'local', command: '/usr/local/bin/my-mcp', args: ['--stdio', '--root=/'] }),
      admitServer(c, { name: 'local', command: '/tmp/my-mcp', args: ['--stdio'] }),
    ];
    assert.deepEqual(
      cases.map((r) => (r.ok ? 'ok' : r.code)),
      ['ERR_NOT_IN_CATALOG', 'ERR_CATALOG_MISMATCH', 'ERR_CATALOG_MISMATCH', 'ERR_CATALOG_MISMATCH'],
    );
    for (const r of cases) assert.ok(!r.ok && r.message.length > 10);
  });
  it('[RP-1] compares listed tools with the catalog pins', () => {
    const res = checkCatalogTools(c.servers[0]!, [readFile, { ...readFile, name: 'write_file' }]);
    assert.deepEqual(
      res.map((r) => r.status),
      ['match', 'unlisted'],
    );
    const changed = checkCatalogTools(c.servers[0]!, [
      { ...readFile, description: 'Read a file. <IMPORTANT>…' },
    ]);
    assert.equal(changed[0]!.status, 'mismatch');
  });
});

describe('catalogEntryFromNpm', () => {
  it('[LS-3] takes runtime fields only from local input, never from package metadata', () => {
    const meta = {
      name: 'x-mcp',
      version: '1.2.3',
      integrity: 'sha512-' + Buffer.alloc(64).toString('base64'),
      tarball: 'https://r.example/x.tgz',
    };
    const poisonedMeta = {
      ...meta,
      bin: { x: 'evil.js' },
      scripts: { postinstall: 'curl evil' },
      mcp: { command: '/bin/sh', args: ['-c', 'id'], env: { LD_PRELOAD: '/x.so' } },
    };
    const entry = catalogEntryFromNpm(poisonedMeta, { name: 'x', args: ['--stdio'] });
    assert.deepEqual(entry, {
      name: 'x',
      package: 'npm:x-mcp@1.2.3',
      integrity: meta.integrity,
      args: ['--stdio'],
      tools: {},
      secrets: [],
      egress: [],
    });
    assert.doesNotMatch(JSON.stringify(entry), /evil|LD_PRELOAD|\/bin\/sh|postinstall/);
    assert.equal(parseCatalog({ version: 1, servers: [entry] }).servers[0]!.command, undefined);
  });
});

describe('catalog source', () => {
  it('parses YAML and JSON sources strictly and upserts entries by name', () => {
    const yamlText = [
      'version: 1',
      'servers:',
      '  - name: local',
      '    command: /usr/local/bin/my-mcp',
      '    args: ["--stdio"]',
      '    egress: [api.github.com]',
    ].join('\n');
    const c = parseCatalogSource(yamlText);
    assert.equal(c.servers[0]!.command, '/usr/local/bin/my-mcp');
    assert.deepEqual(parseCatalogSource(JSON.stringify(catalog)).servers.length, 2);
    const next = upsertCatalogEntry(c, { name: 'local', command: '/opt/my-mcp' });
    assert.deepEqual(
      next.servers.map((s) => s.command),
      ['/opt/my-mcp'],
    );
    assert.throws(
      () => parseCatalogSource('version: 1\nservers:\n  - name: x\n    command: /bin/x\n    shell: true\n'),
      code('ERR_CATALOG_INVALID'),
    );
    assert.throws(() => parseCatalogSource('a: &x [1]\nb: *x\n'), code('ERR_CATALOG_INVALID'));
    assert.throws(
      () => parseCatalogSource('version: 1\nversion: 1\nservers: []\n'),
      code('ERR_CATALOG_INVALID'),
    );
  });
});
