import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractTgz, RegistryError } from '../../../src/registry/index.ts';
import { packageTarball } from '../../helpers/tarball.ts';

describe('extractTgz', () => {
  it('extracts regular files under package/ into the destination', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-tar-'));
    try {
      const n = extractTgz(packageTarball({ 'package.json': '{}', 'dist/index.js': 'x' }), join(dir, 'out'));
      assert.equal(n, 2);
      assert.equal(readFileSync(join(dir, 'out', 'dist', 'index.js'), 'utf8'), 'x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('[RP-4] refuses paths that climb out of the destination, and non-gzip input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-tar-'));
    try {
      assert.throws(
        () => extractTgz(packageTarball({ '../../escape.js': 'x' }), join(dir, 'out')),
        (e: unknown) => e instanceof RegistryError && e.code === 'ERR_PACKAGE_ARCHIVE',
      );
      assert.ok(!existsSync(join(dir, 'escape.js')));
      assert.throws(() => extractTgz(Buffer.from('not gzip'), join(dir, 'out')), /not a gzip archive/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
