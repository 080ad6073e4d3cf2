import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  writeFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import {
  BwrapLauncher,
  createSandboxCgroup,
  detectCgroups,
  drainWarmSlots,
  warmSlotDirs,
  runToEnd,
  sweepStaleCgroups,
} from '../../../src/sandbox/index.ts';
import { FORKER, HAS_PYTHON, cgroupLimitsMissing, sandboxUnavailable } from './helpers.ts';

const unavailable = sandboxUnavailable();
const noLimits = unavailable ? undefined : cgroupLimitsMissing();

const BALLOON = `
import sys
chunks = []
for i in range(int(sys.argv[1])):
    chunks.append(bytearray(8 * 1024 * 1024))
print('allocated', len(chunks) * 8, 'MiB', flush=True)
`;

/** 500 cycles run in bench/sandbox.bench.ts; the test keeps CI short. */
const CYCLES = Number(process.env['WARDEN_SANDBOX_CYCLES'] ?? 100);

const py = (script: string, ...args: string[]) => ({
  command: '/usr/bin/python3',
  args: ['-c', script, ...args],
  env: {},
  label: 'limits',
});

describe(
  '[SX-13] resource limits',
  { skip: unavailable ?? noLimits ?? (HAS_PYTHON ? undefined : 'python3 missing') },
  () => {
    it('a fork bomb stops at the pids limit; a higher limit lets more through (twin)', async () => {
      const tight = await runToEnd(
        new BwrapLauncher({ profile: { limits: { pids: 24, tmpBytes: 1 << 20 } } }),
        py(FORKER),
      );
      const forked = Number(/forked (\d+)/.exec(tight.stdout)?.[1]);
      assert.match(tight.stdout, /refused 11/, 'fork must fail with EAGAIN');
      assert.ok(forked < 24, `forked ${forked}`);
      const loose = await runToEnd(
        new BwrapLauncher({ profile: { limits: { pids: 120, tmpBytes: 1 << 20 } } }),
        py(FORKER),
      );
      assert.ok(Number(/forked (\d+)/.exec(loose.stdout)?.[1]) > forked + 40, loose.stdout);
    });

    it('a memory balloon is killed at the memory limit; within the limit it completes (twin)', async () => {
      const small = new BwrapLauncher({
        profile: { limits: { memoryBytes: 48 * 1024 * 1024, tmpBytes: 1 << 20 } },
      });
      const killed = await runToEnd(small, py(BALLOON, '24'));
      assert.doesNotMatch(killed.stdout, /allocated/);
      assert.equal(
        killed.code,
        137,
        `expected SIGKILL by the OOM killer, got ${killed.code} ${killed.stderr}`,
      );
      const big = new BwrapLauncher({
        profile: { limits: { memoryBytes: 256 * 1024 * 1024, tmpBytes: 1 << 20 } },
      });
      const fine = await runToEnd(big, py(BALLOON, '6'));
      assert.match(fine.stdout, /allocated 48 MiB/);
    });

    it('the private /tmp is size-limited', async () => {
      const l = new BwrapLauncher({ profile: { limits: { tmpBytes: 1024 * 1024 } } });
      const r = await runToEnd(l, {
        command: '/bin/sh',
        args: ['-c', 'head -c 3000000 /dev/zero > /tmp/fill'],
        env: {},
        label: 'disk',
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /No space left/);
    });
  },
);

describe('[SX-13] create-run-destroy cycles leave nothing behind', { skip: unavailable }, () => {
  it(`${CYCLES} cycles: no cgroups, state directories, processes, mounts or descriptors left`, async () => {
    const state = mkdtempSync(join(tmpdir(), 'warden-cycles-'));
    chmodSync(state, 0o711);
    const l = new BwrapLauncher({
      stateDir: state,
      profile: { egress: { allowHosts: ['127.0.0.1:9'], allowPorts: [] } },
    });
    const plainL = new BwrapLauncher({ stateDir: state });
    const fds0 = readdirSync('/proc/self/fd').length;
    const mounts0 = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').length;
    const ids: string[] = [];
    const support = detectCgroups();
    const parents = [...Object.values(support.v1), ...(support.v2 ? [support.v2] : [])];
    for (let i = 0; i < CYCLES; i++) {
      const launcher = i % 5 === 0 ? l : plainL;
      const p = await launcher.start({ command: '/bin/true', args: [], env: {}, label: 'cycle' }, 'pipe');
      ids.push(p.sandboxId);
      p.stdout.resume();
      p.stderr.resume();
      const st = await p.exited;
      assert.equal(st.code, 0);
      await p.destroyed;
      for (const parent of parents)
        assert.equal(existsSync(join(parent, p.sandboxId)), false, `${p.sandboxId} removed at destroyed`);
    }
    assert.equal(new Set(ids).size, ids.length, 'every sandbox had its own cgroups');
    const slots = warmSlotDirs();
    if (noLimits === undefined) assert.ok(slots.length > 0, 'a warm slot is held after the cycles');
    await drainWarmSlots();
    for (const d of slots) assert.equal(existsSync(d), false, `warm slot ${d} removed by drain`);
    assert.deepEqual(readdirSync(state), [], 'state directories removed');
    for (const parent of parents)
      for (const id of ids) assert.equal(existsSync(join(parent, id)), false, `${parent}/${id} left behind`);
    const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim();
    assert.equal(children, '', 'no child processes left');
    assert.ok(readdirSync('/proc/self/fd').length <= fds0 + 2, 'descriptors not leaked');
    assert.equal(
      readFileSync('/proc/self/mountinfo', 'utf8').split('\n').length,
      mounts0,
      'no host mounts left',
    );
    rmSync(state, { recursive: true, force: true });
  });
});

describe('stale cgroup sweep (a crashed Warden)', { skip: unavailable ?? noLimits }, () => {
  it('removes old empty sandbox cgroups, keeps young ones and ones with tasks', async () => {
    const support = detectCgroups();
    const pidsParent = support.v1.pids ?? support.v2;
    assert.ok(pidsParent);
    const young = createSandboxCgroup(support, `sbx-t${process.pid}-young`, { pids: 10 });
    const busy = createSandboxCgroup(support, `sbx-t${process.pid}-busy`, { pids: 10 });
    const victim = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => victim.once('spawn', r));
    writeFileSync(join(pidsParent, `sbx-t${process.pid}-busy`, 'cgroup.procs'), String(victim.pid));
    try {
      assert.equal(
        sweepStaleCgroups(support, 60_000, Date.now(), `sbx-t${process.pid}-`),
        0,
        'young cgroups are never swept',
      );
      assert.ok(existsSync(join(pidsParent, `sbx-t${process.pid}-young`)));
      sweepStaleCgroups(support, 0, Date.now() + 1000, `sbx-t${process.pid}-`);
      assert.equal(
        existsSync(join(pidsParent, `sbx-t${process.pid}-young`)),
        false,
        'old and empty: removed',
      );
      assert.ok(existsSync(join(pidsParent, `sbx-t${process.pid}-busy`)), 'a cgroup with a task stays');
    } finally {
      victim.kill('SIGKILL');
      await young.destroy();
      await busy.destroy();
    }
  });
});
