import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertSelfTest,
  BwrapLauncher,
  payloadPid,
  runToEnd,
  selfTest,
  SandboxError,
} from '../../../src/sandbox/index.ts';
import type { SelfTestReport } from '../../../src/sandbox/index.ts';
import { makeFixture, ROOT, SANDBOX_UID, sandboxUnavailable } from './helpers.ts';
import type { Fixture } from './helpers.ts';

const unavailable = sandboxUnavailable();
const sh = (script: string, env: Record<string, string> = {}) => ({
  command: '/bin/sh',
  args: ['-c', script],
  env,
  label: 'launcher-test',
});

describe('BwrapLauncher', { skip: unavailable }, () => {
  let fx: Fixture;
  before(() => {
    fx = makeFixture();
  });
  after(() => fx.cleanup());

  it('runs as an unprivileged uid when Warden is root, never uid 0 on the host', async () => {
    const p = await new BwrapLauncher().launch(sh('echo started; sleep 30'));
    p.stderr.resume();
    await new Promise((r) => p.stdout.once('data', r));
    const pid = p.pid === undefined ? undefined : payloadPid(p.pid);
    assert.ok(pid !== undefined, 'payload pid found through /proc children');
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    await p.stop(100);
    const expected = String(ROOT ? SANDBOX_UID : process.getuid?.());
    assert.deepEqual(uids?.slice(1), [expected, expected, expected, expected]);
  });

  it(
    'as root, runs a bound workspace as its non-root owner so the program can write its files',
    { skip: ROOT ? undefined : 'needs root to chown' },
    async () => {
      chownSync(fx.ws, 1234, 1234);
      try {
        const l = new BwrapLauncher({ profile: { workspace: { mode: 'bind', path: fx.ws } } });
        const r = await runToEnd(l, sh('id -u; touch /workspace/owned && echo wrote'));
        assert.equal(r.stdout, '1234\nwrote\n');
      } finally {
        chownSync(fx.ws, SANDBOX_UID, SANDBOX_UID);
      }
    },
  );

  it('gives the program exactly its declared environment, nothing from Warden', async () => {
    process.env['WARDEN_TEST_LEAK'] = 'should-not-appear';
    try {
      const r = await runToEnd(new BwrapLauncher(), sh('env', { MY_VAR: 'x' }));
      assert.match(r.stdout, /^MY_VAR=x$/m);
      assert.doesNotMatch(r.stdout, /WARDEN_TEST_LEAK/);
    } finally {
      delete process.env['WARDEN_TEST_LEAK'];
    }
  });

  it('passes stdin and stdout through and reports the exit code', async () => {
    const r = await runToEnd(new BwrapLauncher(), sh('cat; exit 7'), 'hello through the sandbox');
    assert.equal(r.stdout, 'hello through the sandbox');
    assert.equal(r.code, 7);
  });

  it('bind mode: the program writes the real workspace', async () => {
    const l = new BwrapLauncher({ profile: { workspace: { mode: 'bind', path: fx.ws } } });
    const r = await runToEnd(l, sh('cat /workspace/inside.txt && echo bound > /workspace/bound.txt'));
    assert.equal(r.stdout, 'inside\n');
    assert.equal(readFileSync(join(fx.ws, 'bound.txt'), 'utf8'), 'bound\n');
  });

  it('copy mode: writes go to a disposable copy; the original is untouched (twin of bind)', async () => {
    const l = new BwrapLauncher({ profile: { workspace: { mode: 'copy', path: fx.ws } } });
    const r = await runToEnd(
      l,
      sh('cat /workspace/inside.txt && echo copied > /workspace/copy.txt && cat /workspace/copy.txt'),
    );
    assert.equal(r.stdout, 'inside\ncopied\n');
    assert.equal(existsSync(join(fx.ws, 'copy.txt')), false);
  });

  it('none mode: there is no workspace and the root is read-only', async () => {
    const r = await runToEnd(
      new BwrapLauncher(),
      sh('ls /workspace 2>&1; touch /x 2>&1; echo tmp > /tmp/t && cat /tmp/t'),
    );
    assert.match(r.stdout, /No such file/);
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /^tmp$/m);
  });

  it('readOnlyPaths are visible but not writable', async () => {
    writeFileSync(join(fx.dir, 'ro.txt'), 'ro\n', { mode: 0o644 });
    const l = new BwrapLauncher({ profile: { readOnlyPaths: [join(fx.dir, 'ro.txt')] } });
    const r = await runToEnd(
      l,
      sh(`cat ${join(fx.dir, 'ro.txt')}; echo x >> ${join(fx.dir, 'ro.txt')} || echo refused`),
    );
    assert.equal(r.stdout, 'ro\nrefused\n');
  });

  it('stop() ends a long-running program and destroys the sandbox', async () => {
    const p = await new BwrapLauncher().launch(sh('sleep 60'));
    p.stdout.resume();
    p.stderr.resume();
    const st = await p.stop(200);
    assert.ok(st.code !== 0 || st.signal !== null);
  });

  it('each launch gets a fresh sandbox (destroy-and-recreate)', async () => {
    const l = new BwrapLauncher();
    await runToEnd(l, sh('echo leftover > /tmp/state'));
    const r = await runToEnd(l, sh('cat /tmp/state 2>&1 || true'));
    assert.match(r.stdout, /No such file/);
  });
});

describe('selfTest', { skip: unavailable }, () => {
  it('[SX-15] all positive controls pass on a working sandbox', async () => {
    const report = await selfTest(new BwrapLauncher());
    assert.deepEqual(report.failed, [], JSON.stringify(report.controls));
    assert.ok(report.controls.length >= 5);
    assert.doesNotThrow(() => assertSelfTest(report));
  });

  it('[SX-15] requireSelfTest: launches work when the controls pass', async () => {
    const l = new BwrapLauncher({ requireSelfTest: true });
    const r = await runToEnd(l, sh('echo ran'));
    assert.equal(r.stdout, 'ran\n');
  });

  it('[SX-15] requireSelfTest: a profile that exposes the host /tmp fails read-canary and every launch is refused', async () => {
    const leaky = new BwrapLauncher({ requireSelfTest: true, profile: { readOnlyPaths: [tmpdir()] } });
    await assert.rejects(
      () => leaky.launch(sh('echo should-not-run')),
      (e: unknown) =>
        e instanceof SandboxError && e.code === 'ERR_SANDBOX_SELF_TEST' && /read-canary/.test(e.message),
    );
  });

  it('[SX-15] a failed control makes Warden refuse sandboxed work, naming the control', () => {
    const bad: SelfTestReport = {
      ok: false,
      controls: [],
      failed: ['connect-host-loopback'],
      uid: 0,
      seccomp: true,
      cgroupControllers: [],
      cgroupNotes: [],
    };
    assert.throws(
      () => assertSelfTest(bad),
      (e: unknown) =>
        e instanceof SandboxError &&
        e.code === 'ERR_SANDBOX_SELF_TEST' &&
        /connect-host-loopback/.test(e.message),
    );
  });
});
