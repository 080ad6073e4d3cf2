import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BwrapLauncher,
  createSandboxCgroup,
  detectCgroups,
  drainWarmSlots,
  runToEnd,
  warmSlotDirs,
} from '../../../src/sandbox/index.ts';
import { ARGV_FD, spawnWarmWrapper } from '../../../src/sandbox/warm-pool.ts';
import { nulJoin } from '../../../src/sandbox/spawn-bwrap.ts';
import { FORKER, HAS_PYTHON, cgroupLimitsMissing, sandboxUnavailable } from './helpers.ts';

const unavailable = sandboxUnavailable();
const noLimits = unavailable ? undefined : cgroupLimitsMissing();
const SRC = join(dirname(fileURLToPath(import.meta.url)), '../../../src/sandbox/index.ts');

const slotIds = (): string[] => warmSlotDirs().map((d) => d.split('/').pop() ?? '');
/** The wrapper's exit code (its handle is unref'd by design: ref it so the test waits for it). */
const exitOf = (c: ChildProcess): Promise<number | null> => {
  c.ref();
  return new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));
};

async function gone(dirs: readonly string[], ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (dirs.every((d) => !existsSync(d))) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('[SX-13] warm start', { skip: unavailable ?? noLimits }, () => {
  it('a warm-started program runs inside its own cgroups, joined before bwrap started', async () => {
    const l = new BwrapLauncher();
    const spec = {
      command: '/bin/sh',
      args: ['-c', 'cat /proc/self/cgroup; read x'],
      env: {},
      label: 'warm',
    };
    await runToEnd(l, { ...spec, args: ['-c', 'true'] }); // leaves a slot behind
    const held = slotIds();
    assert.equal(held.length > 0, true, 'a slot is ready after a launch');
    const p = await l.start(spec, 'pipe');
    assert.ok(held.includes(p.sandboxId), 'the launch took the warm slot');
    let inside = '';
    p.stdout.on('data', (d: Buffer) => (inside += d.toString()));
    p.stderr.resume();
    while (!inside.includes('pids')) await new Promise((r) => setTimeout(r, 10));
    // bwrap (the slot's pid after exec) is in the sandbox's memory, pids and cpu cgroups
    const host = readFileSync(`/proc/${p.pid}/cgroup`, 'utf8');
    for (const c of ['memory', 'pids', 'cpu'])
      assert.match(host, new RegExp(`:${c}:.*/warden/${p.sandboxId}\\n`), `${c} joined`);
    // inside, the cgroup namespace is rooted at the sandbox's own cgroups (cloned after the join)
    for (const c of ['memory', 'pids', 'cpu']) assert.match(inside, new RegExp(`:${c}:/\\n`), inside);
    p.stdin.end('\n');
    assert.equal((await p.exited).code, 0);
    await p.destroyed;
    await drainWarmSlots();
  });

  it(
    'a warm slot made for loose limits gets the tight limits of the launch that takes it (fork bomb twin)',
    { skip: HAS_PYTHON ? undefined : 'python3 missing' },
    async () => {
      const py = { command: '/usr/bin/python3', args: ['-c', FORKER], env: {}, label: 'forker' };
      const loose = new BwrapLauncher({ profile: { limits: { pids: 120, tmpBytes: 1 << 20 } } });
      const tight = new BwrapLauncher({ profile: { limits: { pids: 24, tmpBytes: 1 << 20 } } });
      const first = await runToEnd(loose, py);
      const looseForked = Number(/forked (\d+)/.exec(first.stdout)?.[1]);
      assert.ok(looseForked > 60, first.stdout);
      const held = slotIds();
      const p = await tight.start(py, 'pipe');
      assert.ok(held.includes(p.sandboxId), 'the tight launch took the slot made for pids 120');
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.resume();
      await p.exited;
      assert.match(out, /refused 11/, 'fork must fail with EAGAIN');
      assert.ok(Number(/forked (\d+)/.exec(out)?.[1]) < 24, out);
      await p.destroyed;
      await drainWarmSlots();
    },
  );

  it('the memory limit of a warm slot is rewritten both ways (v1: memsw is raised first, lowered after)', async () => {
    const support = detectCgroups();
    const c = createSandboxCgroup(support, `sbx-t${process.pid}-mem`, { memoryBytes: 48 << 20, pids: 10 });
    try {
      const mem = c.procsFiles.map((f) => dirname(f)).find((d) => d.includes('/memory/'));
      const limit = (f: string): number =>
        mem && existsSync(join(mem, f)) ? Number(readFileSync(join(mem, f), 'utf8')) : Number.NaN;
      for (const bytes of [256 << 20, 32 << 20]) {
        assert.deepEqual(c.apply({ memoryBytes: bytes, pids: 10 }).sort(), ['memory', 'pids']);
        if (mem) {
          assert.equal(limit('memory.limit_in_bytes'), bytes);
          const sw = limit('memory.memsw.limit_in_bytes');
          if (!Number.isNaN(sw)) assert.equal(sw, bytes);
        }
      }
    } finally {
      await c.destroy();
    }
  });

  it('fails closed: a wrapper whose command never arrives or is cut short execs nothing and removes its cgroups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-warm-'));
    chmodSync(dir, 0o755);
    const marker = join(dir, 'ran');
    const cmd = ['/bin/sh', '-c', `echo ran > ${marker}`];
    const support = detectCgroups();
    try {
      // EOF before anything: Warden went away
      const a = createSandboxCgroup(support, `sbx-t${process.pid}-eof`, { pids: 10 });
      const wa = spawnWarmWrapper(a);
      const dirsA = a.procsFiles.map((f) => dirname(f));
      (wa.stdio as unknown as Writable[])[ARGV_FD]?.end();
      assert.equal(await exitOf(wa), 125);
      assert.ok(await gone(dirsA), 'the wrapper removed its own cgroups');
      // a truncated command: the count says one more argument than arrived
      const b = createSandboxCgroup(support, `sbx-t${process.pid}-short`, { pids: 10 });
      const wb = spawnWarmWrapper(b);
      (wb.stdio as unknown as Writable[])[ARGV_FD]?.end(nulJoin([String(cmd.length + 1), ...cmd]));
      assert.equal(await exitOf(wb), 125);
      assert.ok(await gone(b.procsFiles.map((f) => dirname(f))));
      assert.equal(existsSync(marker), false, 'nothing ran');
      // twin: the complete command runs, inside the slot's cgroups
      const c = createSandboxCgroup(support, `sbx-t${process.pid}-ok`, { pids: 10 });
      const wc = spawnWarmWrapper(c);
      const full = ['/bin/sh', '-c', `cat /proc/self/cgroup > ${marker}`];
      (wc.stdio as unknown as Writable[])[ARGV_FD]?.end(nulJoin([String(full.length), ...full]));
      assert.equal(await exitOf(wc), 0);
      assert.match(readFileSync(marker, 'utf8'), new RegExp(`sbx-t${process.pid}-ok`));
      await c.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a slot held when Warden exits (or is killed) is removed: no process or cgroup outlives it', async () => {
    for (const how of ['exit', 'SIGKILL']) {
      const script = `
        import { BwrapLauncher, runToEnd, warmSlotDirs } from ${JSON.stringify(SRC)};
        await runToEnd(new BwrapLauncher(), { command: '/bin/true', args: [], env: {}, label: 'x' });
        process.stdout.write(JSON.stringify(warmSlotDirs()) + '\\n');
        ${how === 'exit' ? '' : "process.kill(process.pid, 'SIGKILL');"}
      `;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      const dirs = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as string[];
      assert.ok(dirs.length > 0, `${how}: a slot was held (${r.stderr})`);
      assert.ok(await gone(dirs), `${how}: the slot's cgroups were removed`);
    }
  });
});
