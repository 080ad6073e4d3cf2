import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSandboxSettings } from '../../../src/sandbox/index.ts';

const OPTS = { baseDir: '/srv/warden', where: 'servers.fs.sandbox' };

describe('resolveSandboxSettings (a sandbox: block from warden.yaml)', () => {
  it('treats an absent block as the defaults', () => {
    const r = resolveSandboxSettings(undefined, OPTS);
    assert.ok(r.ok);
    assert.deepEqual(r.value, { limits: {}, egress: {} });
  });

  it('resolves relative workspace and read-only paths against the config directory', () => {
    const r = resolveSandboxSettings(
      { workspace: { mode: 'bind', path: 'ws' }, readOnlyPaths: ['data', '/opt/x'], memory: '256M' },
      OPTS,
    );
    assert.ok(r.ok);
    assert.equal(r.value.workspace?.path, '/srv/warden/ws');
    assert.deepEqual(r.value.readOnlyPaths, ['/srv/warden/data', '/opt/x']);
    assert.equal(r.value.limits?.memoryBytes, 256 * 1024 * 1024);
  });

  it('names the full path of every issue, including an unknown key (SX-14)', () => {
    const r = resolveSandboxSettings({ allowHosts: ['*'], dangerouslyDisableSandbox: true }, OPTS);
    assert.ok(!r.ok);
    assert.ok(r.issues.some((i) => i.path === 'servers.fs.sandbox.allowHosts.0'));
    assert.ok(
      r.issues.some(
        (i) => i.path === 'servers.fs.sandbox.dangerouslyDisableSandbox' && /unknown key/.test(i.message),
      ),
    );
  });

  it('applies a named profile first; the block’s own keys replace the profile’s', () => {
    const profiles = { small: { memory: '128M', pids: 64, allowHosts: ['a.example.com'] } };
    const r = resolveSandboxSettings({ profile: 'small', pids: 32 }, { ...OPTS, profiles });
    assert.ok(r.ok);
    assert.equal(r.value.limits?.memoryBytes, 128 * 1024 * 1024);
    assert.equal(r.value.limits?.pids, 32);
    assert.deepEqual(r.value.egress?.allowHosts, ['a.example.com']);
  });

  it('refuses an unknown profile, listing the known ones, and a profile naming a profile', () => {
    const r = resolveSandboxSettings({ profile: 'big' }, { ...OPTS, profiles: { small: {} } });
    assert.ok(!r.ok);
    assert.equal(r.issues[0]?.path, 'servers.fs.sandbox.profile');
    assert.match(r.issues[0]?.message ?? '', /no sandbox profile "big".*known: small/);
    const loop = resolveSandboxSettings({ profile: 'a' }, { ...OPTS, profiles: { a: { profile: 'a' } } });
    assert.ok(!loop.ok);
    assert.match(loop.issues[0]?.message ?? '', /cannot name another profile/);
  });

  it('refuses a block that is not a mapping', () => {
    const r = resolveSandboxSettings('yes', OPTS);
    assert.ok(!r.ok);
    assert.equal(r.issues[0]?.path, 'servers.fs.sandbox');
  });
});
