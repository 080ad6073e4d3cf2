import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CgroupLimits, CgroupSupport, Controller } from './cgroups.ts';

const CPU_PERIOD_US = 100_000;

/** One sandbox's cgroups (a directory per hierarchy). */
export interface SandboxCgroup {
  /** `cgroup.procs` files the launcher's wrapper writes its pid to before exec'ing bwrap. */
  readonly procsFiles: readonly string[];
  /** Controllers whose limits were applied. */
  readonly limited: readonly Controller[];
  /** Which hierarchies were joined (see `cgroupKey`). */
  readonly key: string;
  /**
   * Writes `limits` again (a warm cgroup created for other limits): returns the controllers
   * whose limits were applied. Only hierarchies this cgroup already has are written.
   */
  apply(limits: CgroupLimits): Controller[];
  /** Kills every task in the sandbox's cgroups. */
  kill(): Promise<void>;
  /** Kills, then removes the directories (retrying while the kernel releases them). */
  destroy(): Promise<void>;
}

function write(dir: string, file: string, value: string): boolean {
  try {
    writeFileSync(join(dir, file), value);
    return true;
  } catch {
    return false;
  }
}

function applyV1(dirs: Partial<Record<string, string>>, limits: CgroupLimits): Controller[] {
  const done: Controller[] = [];
  const mem = dirs['memory'];
  if (mem && limits.memoryBytes !== undefined) {
    const v = String(limits.memoryBytes);
    // memsw must stay >= the limit: raising a rewritten limit needs memsw raised first
    const ok =
      write(mem, 'memory.limit_in_bytes', v) ||
      (write(mem, 'memory.memsw.limit_in_bytes', v) && write(mem, 'memory.limit_in_bytes', v));
    if (ok) {
      write(mem, 'memory.memsw.limit_in_bytes', v);
      done.push('memory');
    }
  }
  const pids = dirs['pids'];
  if (pids && limits.pids !== undefined && write(pids, 'pids.max', String(limits.pids))) done.push('pids');
  const cpu = dirs['cpu'];
  if (cpu && limits.cpus !== undefined) {
    const quota = String(Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US)));
    if (write(cpu, 'cpu.cfs_period_us', String(CPU_PERIOD_US)) && write(cpu, 'cpu.cfs_quota_us', quota))
      done.push('cpu');
  }
  return done;
}

function applyV2(dir: string, enabled: readonly Controller[], limits: CgroupLimits): Controller[] {
  const done: Controller[] = [];
  if (
    enabled.includes('memory') &&
    limits.memoryBytes !== undefined &&
    write(dir, 'memory.max', String(limits.memoryBytes))
  ) {
    write(dir, 'memory.swap.max', '0');
    done.push('memory');
  }
  if (enabled.includes('pids') && limits.pids !== undefined && write(dir, 'pids.max', String(limits.pids)))
    done.push('pids');
  if (enabled.includes('cpu') && limits.cpus !== undefined) {
    const quota = Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US));
    if (write(dir, 'cpu.max', `${quota} ${CPU_PERIOD_US}`)) done.push('cpu');
  }
  return done;
}

function tasks(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether `pid` is (still) a member of the cgroup named by `id` (narrows PID-reuse races, SX-16). */
function stillMember(pid: number, id: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${id}\n`);
  } catch {
    return false;
  }
}

/**
 * SIGKILLs every task listed in the sandbox's v1 cgroups until none is left. Normally there is
 * nothing to do: bwrap's pid 1 dying tears the pid namespace down. Each pid is re-checked for
 * membership right before the signal, so a recycled pid is not hit.
 */
async function killV1(dirs: readonly string[], id: string): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = new Set(dirs.flatMap(tasks));
    if (pids.size === 0) break;
    for (const pid of pids) {
      if (!stillMember(pid, id)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(round < 5 ? 2 : 20);
  }
}

async function removeDir(dir: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      await sleep(i < 10 ? 5 : 50);
    }
  }
}

/**
 * Which hierarchies to join. Each join (a write to cgroup.procs) costs an RCU grace period in
 * the kernel, so only those that do something are used: v1 memory/pids/cpu when their limit is
 * set; v2 when it has controllers or there is no v1 pids hierarchy to enumerate tasks for kill.
 */
function hierarchies(
  support: CgroupSupport,
  limits: CgroupLimits,
): { v1: Record<string, string>; v2: boolean } {
  const v1: Record<string, string> = {};
  const want: Record<string, boolean> = {
    memory: limits.memoryBytes !== undefined,
    pids: true,
    cpu: limits.cpus !== undefined,
  };
  for (const [c, parent] of Object.entries(support.v1)) if (want[c]) v1[c] = parent;
  const v2 = support.v2 !== undefined && (support.v2Controllers.length > 0 || v1['pids'] === undefined);
  return { v1, v2 };
}

/**
 * Names the hierarchies a sandbox with these limits joins: two sandboxes with the same key can
 * use the same (warm) cgroup set after its limits are rewritten.
 */
export function cgroupKey(support: CgroupSupport, limits: CgroupLimits): string {
  const use = hierarchies(support, limits);
  return [...Object.keys(use.v1).sort(), ...(use.v2 ? ['v2'] : [])].join(',');
}

/** Creates the sandbox's cgroups and applies the limits; hierarchies that fail are skipped. */
export function createSandboxCgroup(support: CgroupSupport, id: string, limits: CgroupLimits): SandboxCgroup {
  const use = hierarchies(support, limits);
  const v1: Record<string, string> = {};
  for (const [c, parent] of Object.entries(use.v1)) {
    const dir = join(parent, id);
    try {
      mkdirSync(dir);
      v1[c] = dir;
    } catch {
      // skipped: reported through `limited`
    }
  }
  let v2: string | undefined;
  if (use.v2 && support.v2) {
    try {
      mkdirSync(join(support.v2, id));
      v2 = join(support.v2, id);
    } catch {
      v2 = undefined;
    }
  }
  const apply = (l: CgroupLimits): Controller[] => [
    ...new Set<Controller>([...applyV1(v1, l), ...(v2 ? applyV2(v2, support.v2Controllers, l) : [])]),
  ];
  const limited = apply(limits);
  const all = [...Object.values(v1), ...(v2 ? [v2] : [])];
  const kill = async (): Promise<void> => {
    if (v2 && existsSync(join(v2, 'cgroup.kill'))) write(v2, 'cgroup.kill', '1');
    await killV1(all, id);
  };
  return {
    procsFiles: all.map((d) => join(d, 'cgroup.procs')),
    limited,
    key: [...Object.keys(v1).sort(), ...(v2 ? ['v2'] : [])].join(','),
    apply,
    kill,
    destroy: async () => {
      await kill();
      await Promise.all(all.map(removeDir));
    },
  };
}

/**
 * Removes sandbox cgroups a crashed Warden left behind: `sbx-*` children of the Warden parents
 * with no tasks, created more than `olderThanMs` ago (a cgroup being set up right now by another
 * Warden process is young, so it is never touched). Returns how many were removed.
 */
export function sweepStaleCgroups(
  support: CgroupSupport,
  olderThanMs = 5 * 60_000,
  now = Date.now(),
  prefix = 'sbx-',
): number {
  let removed = 0;
  const parents = [...Object.values(support.v1), ...(support.v2 ? [support.v2] : [])];
  for (const parent of parents) {
    let names: string[];
    try {
      names = readdirSync(parent).filter((n) => n.startsWith(prefix));
    } catch {
      continue;
    }
    for (const n of names) {
      const dir = join(parent, n);
      try {
        if (now - statSync(dir).ctimeMs < olderThanMs || tasks(dir).length > 0) continue;
        rmdirSync(dir);
        removed++;
      } catch {
        // busy or already gone
      }
    }
  }
  return removed;
}
