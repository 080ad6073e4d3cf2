import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupKey, createSandboxCgroup } from '../../../src/sandbox/index.ts';
import type { CgroupSupport } from '../../../src/sandbox/index.ts';

/**
 * The cgroup v2 files Warden writes, checked in a plain directory laid out like a delegated
 * cgroup (this machine has no v2 controllers to exercise for real; v1 runs for real in
 * test/integration/sandbox/limits.test.ts and warm-start.test.ts).
 */
function v2Tree(controllers: CgroupSupport['v2Controllers']): { root: string; support: CgroupSupport } {
  const root = mkdtempSync(join(tmpdir(), 'warden-cg-'));
  const parent = join(root, 'warden');
  mkdirSync(parent);
  return {
    root,
    support: { v1: {}, v2: parent, v2Controllers: controllers, controllers, notes: [] },
  };
}

const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8');

describe('[SX-13] cgroup v2 limit files', () => {
  it('writes memory.max, memory.swap.max=0, pids.max and cpu.max, and rewrites them for a warm slot', () => {
    const { root, support } = v2Tree(['memory', 'pids', 'cpu']);
    try {
      const cg = createSandboxCgroup(support, 'sbx-u1', { memoryBytes: 64 << 20, pids: 32, cpus: 0.5 });
      const dir = join(support.v2 ?? '', 'sbx-u1');
      assert.deepEqual(cg.procsFiles, [join(dir, 'cgroup.procs')], 'one join covers every controller');
      assert.equal(cg.key, 'v2');
      assert.deepEqual([...cg.limited].sort(), ['cpu', 'memory', 'pids']);
      assert.equal(read(dir, 'memory.max'), String(64 << 20));
      assert.equal(read(dir, 'memory.swap.max'), '0');
      assert.equal(read(dir, 'pids.max'), '32');
      assert.equal(read(dir, 'cpu.max'), '50000 100000');
      assert.deepEqual(cg.apply({ memoryBytes: 128 << 20, pids: 64, cpus: 2 }).sort(), [
        'cpu',
        'memory',
        'pids',
      ]);
      assert.equal(read(dir, 'memory.max'), String(128 << 20));
      assert.equal(read(dir, 'pids.max'), '64');
      assert.equal(read(dir, 'cpu.max'), '200000 100000');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('claims no limit for a controller that is not delegated (twin: nothing is written)', () => {
    const { root, support } = v2Tree([]);
    try {
      const cg = createSandboxCgroup(support, 'sbx-u2', { memoryBytes: 64 << 20, pids: 32, cpus: 1 });
      const dir = join(support.v2 ?? '', 'sbx-u2');
      assert.deepEqual(cg.limited, []);
      for (const f of ['memory.max', 'pids.max', 'cpu.max']) assert.equal(existsSync(join(dir, f)), false, f);
      assert.equal(cg.key, 'v2', 'still joined: cgroup.kill works without controllers');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('cgroupKey names the hierarchies a launch joins, so warm slots match only like launches', () => {
    const { root, support } = v2Tree(['memory', 'pids', 'cpu']);
    try {
      assert.equal(cgroupKey(support, { pids: 1 }), 'v2');
      const hybrid: CgroupSupport = {
        ...support,
        v1: { memory: '/m/warden', pids: '/p/warden', cpu: '/c/warden' },
        v2Controllers: [],
      };
      assert.equal(cgroupKey(hybrid, { memoryBytes: 1, pids: 1, cpus: 1 }), 'cpu,memory,pids');
      assert.equal(cgroupKey(hybrid, { memoryBytes: 1, pids: 1 }), 'memory,pids', 'no cpus: no cpu join');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
