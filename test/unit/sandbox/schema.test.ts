import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxSettingsSchema } from '../../../src/sandbox/index.ts';

describe('sandbox settings schema', () => {
  it('parses sizes, limits, hosts and workspace into launch overrides', () => {
    const r = sandboxSettingsSchema.parse({
      workspace: { mode: 'bind', path: '/srv/project' },
      memory: '512M',
      tmp: '64M',
      pids: 256,
      cpus: 1.5,
      allowHosts: ['api.github.com', '*.npmjs.org'],
      env: { LANG: 'C.UTF-8' },
    });
    assert.deepEqual(r.limits, {
      memoryBytes: 512 * 1024 ** 2,
      pids: 256,
      cpus: 1.5,
      tmpBytes: 64 * 1024 ** 2,
    });
    assert.deepEqual(r.egress, { allowHosts: ['api.github.com', '*.npmjs.org'] });
    assert.deepEqual(r.workspace, { mode: 'bind', path: '/srv/project' });
  });

  it('[SX-14] rejects unknown keys such as dangerouslyDisableSandbox', () => {
    const r = sandboxSettingsSchema.safeParse({ dangerouslyDisableSandbox: true });
    assert.equal(r.success, false);
  });

  it('[SS-6] rejects "*", bare-TLD wildcards and IP wildcards with the reason', () => {
    for (const h of ['*', '*.com', '*.10.0.0.1']) {
      const r = sandboxSettingsSchema.safeParse({ allowHosts: [h] });
      assert.equal(r.success, false, h);
      assert.match(r.error?.issues[0]?.message ?? '', /rejected/);
    }
  });

  it('rejects binding /, relative paths and non-POSIX env names', () => {
    assert.equal(sandboxSettingsSchema.safeParse({ readOnlyPaths: ['/'] }).success, false);
    assert.equal(sandboxSettingsSchema.safeParse({ readOnlyPaths: ['node_modules'] }).success, false);
    assert.equal(sandboxSettingsSchema.safeParse({ env: { 'A-B': 'x' } }).success, false);
    assert.equal(sandboxSettingsSchema.safeParse({ workspace: { mode: 'bind' } }).success, false);
  });
});
