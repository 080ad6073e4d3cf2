import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildBwrapArgv,
  INSIDE,
  insideCwd,
  makeProfile,
  sandboxEnv,
  BwrapLauncher,
  SandboxError,
} from '../../../src/sandbox/index.ts';
import type { BwrapPlan, SystemEntry } from '../../../src/sandbox/index.ts';

const SYSTEM: SystemEntry[] = [
  { path: '/usr', kind: 'dir' },
  { path: '/bin', kind: 'symlink', target: 'usr/bin' },
  { path: '/lib', kind: 'symlink', target: 'usr/lib' },
  { path: '/etc/ssl', kind: 'dir' },
  { path: '/etc/ld.so.cache', kind: 'file' },
];

function plan(over: Partial<BwrapPlan> = {}): BwrapPlan {
  return {
    profile: makeProfile(),
    system: SYSTEM,
    command: '/usr/bin/node',
    args: ['server.js'],
    env: { PATH: '/usr/bin', SECRET_TOKEN: 'v' },
    assetsDir: '/var/lib/warden/assets',
    ...over,
  };
}

/** Pairs of (option, value…) as they appear, for "SRC DEST" options. */
function mounts(argv: string[], opt: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  argv.forEach((a, i) => a === opt && out.push([argv[i + 1] ?? '', argv[i + 2] ?? '']));
  return out;
}

describe('buildBwrapArgv', () => {
  it('[SX-8] never binds /, /home, the host /tmp or /run, and keeps /tmp a sized tmpfs', () => {
    const argv = buildBwrapArgv(plan());
    const binds = [...mounts(argv, '--bind'), ...mounts(argv, '--ro-bind'), ...mounts(argv, '--dev-bind')];
    for (const [src] of binds) {
      assert.notEqual(src, '/');
      assert.ok(
        !src.startsWith('/home') && !src.startsWith('/tmp') && src !== '/run' && !src.startsWith('/var/run'),
        src,
      );
    }
    const size = argv.indexOf('--size');
    assert.deepEqual(argv.slice(size, size + 4), ['--size', String(64 * 1024 * 1024), '--tmpfs', '/tmp']);
  });

  it('[SX-6] unshares every namespace, disables nested user namespaces, drops caps, new session', () => {
    const argv = buildBwrapArgv(plan());
    for (const f of [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-net',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-cgroup-try',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
    ]) {
      assert.ok(argv.includes(f), f);
    }
    assert.equal(argv[argv.indexOf('--cap-drop') + 1], 'ALL');
    assert.ok(
      argv.indexOf('--remount-ro') > argv.lastIndexOf('--ro-bind'),
      'root is remounted read-only after the binds',
    );
  });

  it('mounts system dirs read-only and recreates merged-/usr symlinks', () => {
    const argv = buildBwrapArgv(plan());
    assert.deepEqual(mounts(argv, '--symlink'), [
      ['usr/bin', '/bin'],
      ['usr/lib', '/lib'],
    ]);
    assert.ok(mounts(argv, '--ro-bind').some(([s, d]) => s === '/usr' && d === '/usr'));
    assert.ok(!mounts(argv, '--bind').some(([s]) => s === '/usr'), '/usr is never writable');
  });

  it('binds the workspace read-write only in bind/copy modes', () => {
    const none = buildBwrapArgv(plan());
    assert.deepEqual(mounts(none, '--bind'), []);
    const ws = buildBwrapArgv(
      plan({
        profile: makeProfile({ workspace: { mode: 'bind', path: '/srv/a' } }),
        workspaceHostPath: '/srv/a',
      }),
    );
    assert.deepEqual(mounts(ws, '--bind'), [['/srv/a', '/workspace']]);
    assert.equal(ws[ws.indexOf('--chdir') + 1], '/workspace');
  });

  it('makes the program and readOnlyPaths visible read-only, skipping paths under system dirs', () => {
    const argv = buildBwrapArgv(
      plan({
        command: '/opt/tools/bin/agent',
        profile: makeProfile({ readOnlyPaths: ['/opt/pkg', '/usr/lib/node_modules'] }),
      }),
    );
    const ro = mounts(argv, '--ro-bind').map(([s]) => s);
    assert.ok(ro.includes('/opt/tools/bin/agent'));
    assert.ok(ro.includes('/opt/pkg'));
    assert.ok(!ro.includes('/usr/lib/node_modules'));
  });

  it('passes the environment through --setenv only (no inheritance)', () => {
    const argv = buildBwrapArgv(plan());
    assert.deepEqual(mounts(argv, '--setenv'), [
      ['PATH', '/usr/bin'],
      ['SECRET_TOKEN', 'v'],
    ]);
  });

  it('adds the seccomp fd only when given', () => {
    assert.ok(!buildBwrapArgv(plan()).includes('--seccomp'));
    const argv = buildBwrapArgv(plan({ seccompFd: 3 }));
    assert.equal(argv[argv.indexOf('--seccomp') + 1], '3');
  });

  it('[SS-9] with egress, binds the proxy socket and runs the relay before the program; without, no socket', () => {
    const egress = {
      socketPath: '/run/w/proxy.sock',
      undiciDir: '/app/node_modules/undici',
      nodePath: '/usr/bin/node',
    };
    const argv = buildBwrapArgv(plan({ egress }));
    assert.deepEqual(mounts(argv, '--bind'), [['/run/w/proxy.sock', INSIDE.proxySocket]]);
    const cmd = argv.slice(argv.indexOf('--') + 1);
    assert.deepEqual(cmd.slice(0, 2), ['/bin/sh', '-c']);
    assert.deepEqual(cmd.slice(-3), ['--', '/usr/bin/node', 'server.js']);
    assert.ok(!buildBwrapArgv(plan()).some((a) => a.endsWith('proxy.sock')));
  });

  it('is pure: the same plan gives the same argv', () => {
    assert.deepEqual(buildBwrapArgv(plan()), buildBwrapArgv(plan()));
  });
});

describe('sandboxEnv', () => {
  it('sets the proxy variables and the preload when egress is on, and callers cannot override them', () => {
    const env = sandboxEnv(
      { HTTPS_PROXY: 'http://evil:1', NODE_OPTIONS: '--max-old-space-size=100' },
      makeProfile(),
      true,
    );
    assert.equal(env['HTTPS_PROXY'], 'http://127.0.0.1:3128');
    assert.equal(env['NO_PROXY'], '');
    assert.equal(env['NODE_OPTIONS'], `--require ${INSIDE.preload} --max-old-space-size=100`);
  });

  it('drops proxy variables when egress is off (deny twin)', () => {
    const env = sandboxEnv({ HTTPS_PROXY: 'http://evil:1' }, makeProfile(), false);
    assert.equal(env['HTTPS_PROXY'], undefined);
    assert.equal(env['NODE_OPTIONS'], undefined);
  });
});

describe('BwrapLauncher configuration', () => {
  it('[SS-6] rejects a "*" egress rule at construction', () => {
    assert.throws(
      () => new BwrapLauncher({ profile: { egress: { allowHosts: ['*'], allowPorts: [] } } }),
      SandboxError,
    );
  });

  it('refuses newSession=false without seccomp (TIOCSTI would be open)', () => {
    assert.throws(() => new BwrapLauncher({ profile: { newSession: false, seccomp: false } }), SandboxError);
  });

  it('reports a missing bwrap as ERR_SANDBOX_UNAVAILABLE with the install command', () => {
    const l = new BwrapLauncher({ bwrapPath: '/nonexistent/bwrap' });
    assert.throws(
      () => l.hostFacts(),
      (e: unknown) =>
        e instanceof SandboxError &&
        e.code === 'ERR_SANDBOX_UNAVAILABLE' &&
        /apt-get install -y bubblewrap/.test(e.message),
    );
  });
});

describe('insideCwd', () => {
  const ws = makeProfile({ workspace: { mode: 'bind', path: '/srv/proj' }, readOnlyPaths: ['/opt/pkg'] });
  it('maps a host path under the workspace to the workspace target', () => {
    assert.equal(insideCwd(ws, '/srv/proj'), '/workspace');
    assert.equal(insideCwd(ws, '/srv/proj/src'), '/workspace/src');
  });
  it('keeps visible paths and drops invisible ones (SX-2: /srv/proj-b is not under /srv/proj)', () => {
    assert.equal(insideCwd(ws, '/opt/pkg/lib'), '/opt/pkg/lib');
    assert.equal(insideCwd(ws, '/srv/proj-b'), undefined);
    assert.equal(insideCwd(ws, '/home/user'), undefined);
  });
});
