import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { newId } from '../core/index.ts';
import type { CgroupLimits, CgroupSupport } from './cgroups.ts';
import { createSandboxCgroup, cgroupKey } from './sandbox-cgroup.ts';
import type { SandboxCgroup } from './sandbox-cgroup.ts';
import { BASH, feedBwrap, hostArgv, inheritableFds, nulJoin } from './spawn-bwrap.ts';
import type { SpawnPlan } from './spawn-bwrap.ts';

/**
 * Warm start. Joining a cgroup (a write to `cgroup.procs`) makes the kernel wait for an RCU grace
 * period (10–20 ms on the measured machine, per launch), which dominated a sandbox's start. A
 * warm slot does that wait ahead of time: fresh cgroups (mkdir + limits) and a waiting host-side
 * wrapper that has already joined them. A launch takes the slot, rewrites the limits if they
 * differ, and sends the wrapper the command to exec (setpriv/bwrap); the slot is refilled after
 * the launched sandbox exits. Isolation is unchanged: the wrapper is inside every cgroup before
 * it execs anything, bwrap and the program start there, and each slot's cgroups serve one sandbox
 * only (destroyed with it).
 */

/** Read by the wrapper on fd 5: a NUL-terminated count, then that many NUL-terminated args. */
export const ARGV_FD = 5;

/**
 * The warm wrapper (bash, for `read -d ''`). Arguments: descriptors to close `--` cgroup.procs
 * files to join `--`. Then it blocks on fd 5 for the command, which runs with an EMPTY
 * environment (`exec -c`). Fails closed: on a short read (Warden exited or crashed, or closed
 * the slot) it execs nothing; it moves itself back to Warden's own cgroups, removes the slot's
 * cgroup directories and exits 125, so a slot never outlives Warden.
 */
export const WARM_WRAP = [
  'while [ "$1" != -- ]; do eval "exec $1>&-"; shift; done; shift',
  'procs=()',
  'while [ "$1" != -- ]; do echo "$$" >"$1" || exit 125; procs+=("$1"); shift; done; shift',
  'leave() {',
  '  exec 2>/dev/null',
  '  for f in "${procs[@]}"; do d=${f%/cgroup.procs}; echo "$$" >"${d%/*/*}/cgroup.procs"; done',
  '  for f in "${procs[@]}"; do rmdir "${f%/cgroup.procs}"; done',
  '  exit 125',
  '}',
  "IFS= read -r -d '' n <&5 || leave",
  'case $n in ""|*[!0-9]*) leave;; esac',
  'set --',
  'while [ "$#" -lt "$n" ]; do',
  "  IFS= read -r -d '' a <&5 || leave",
  '  set -- "$@" "$a"',
  'done',
  'exec 5<&-',
  '[ "$#" -gt 0 ] || exit 125',
  'exec -c "$@"',
].join('\n');

/** A warm slot: joined cgroups and the wrapper waiting in them. */
export interface WarmSlot {
  readonly id: string;
  readonly cgroup: SandboxCgroup;
  readonly child: ChildProcess;
  /** The limits last written to the slot's cgroups. */
  limits: CgroupLimits;
}

/** How long an unused slot is kept before it is destroyed. */
export const WARM_IDLE_MS = 2000;

const stdioOf = (child: ChildProcess): (Socket | null)[] => child.stdio.map((s) => s as Socket | null);

/** Starts a wrapper that joins `cgroup` and waits for its command; it does not hold Node open. */
export function spawnWarmWrapper(cgroup: SandboxCgroup): ChildProcess {
  const fds = inheritableFds().map(String);
  const child = spawn(
    BASH,
    ['--norc', '--noprofile', '-c', WARM_WRAP, 'warden-warm', ...fds, '--', ...cgroup.procsFiles, '--'],
    {
      env: {},
      stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      shell: false,
      cwd: '/',
      detached: true,
    },
  );
  child.on('error', () => undefined);
  for (const s of stdioOf(child)) {
    s?.on('error', () => undefined);
    s?.unref();
  }
  child.unref();
  return child;
}

/** Sends the command; from here on the slot's process is the sandbox's (Node waits for it again). */
export function startWarm(slot: WarmSlot, plan: SpawnPlan): void {
  slot.child.ref();
  for (const s of stdioOf(slot.child)) s?.ref();
  const argv = hostArgv(plan);
  const pipe = (slot.child.stdio as unknown as (Writable | null)[])[ARGV_FD];
  pipe?.on('error', () => undefined);
  pipe?.end(nulJoin([String(argv.length), ...argv]));
  feedBwrap(slot.child, plan);
}

function alive(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null && c.pid !== undefined;
}

/** Kills a taken slot's wrapper that will not be used (its cgroups go with the sandbox's). */
export function discardSlot(slot: WarmSlot): void {
  slot.child.ref();
  for (const s of stdioOf(slot.child)) s?.destroy();
  try {
    if (slot.child.pid !== undefined) process.kill(slot.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Closes an unused slot: the wrapper reads EOF, leaves and removes its cgroups and exits 125
 * without exec'ing; whatever is left (a wrapper that hangs is killed after 2 s) is then removed.
 */
async function discard(slot: WarmSlot): Promise<void> {
  const gone = new Promise<void>((r) => {
    if (!alive(slot.child)) return r();
    slot.child.once('exit', () => r());
  });
  slot.child.ref();
  for (const s of stdioOf(slot.child)) s?.destroy();
  const timer = setTimeout(() => discardSlot(slot), 2000);
  await gone;
  clearTimeout(timer);
  await slot.cgroup.destroy();
}

interface Entry {
  slot: WarmSlot;
  timer: NodeJS.Timeout;
}

/**
 * At most one warm slot per cgroup key (one set of joined hierarchies). Module-wide, so every
 * launcher of the process shares it.
 */
class WarmPool {
  private readonly slots = new Map<string, Entry>();
  private readonly pending = new Set<Promise<void>>();

  /** The warm slot for these limits, with the limits written; undefined when there is none. */
  take(support: CgroupSupport, limits: CgroupLimits): WarmSlot | undefined {
    const key = cgroupKey(support, limits);
    const e = this.slots.get(key);
    if (!e) return undefined;
    this.slots.delete(key);
    clearTimeout(e.timer);
    const slot = e.slot;
    if (!alive(slot.child) || !this.fits(slot, limits)) {
      this.track(discard(slot));
      return undefined;
    }
    return slot;
  }

  private fits(slot: WarmSlot, limits: CgroupLimits): boolean {
    const keys = ['memoryBytes', 'pids', 'cpus'] as const;
    if (keys.every((k) => slot.limits[k] === limits[k])) return true;
    // a limit dropped on a joined hierarchy would need resetting to "unlimited": start cold
    if (keys.some((k) => limits[k] === undefined && slot.limits[k] !== undefined)) return false;
    const before = [...slot.cgroup.limited].sort().join();
    const applied = slot.cgroup.apply(limits);
    slot.limits = limits;
    return applied.sort().join() === before;
  }

  /** Prepares a slot for the next launch with these limits (no-op when one is ready). */
  refill(support: CgroupSupport, limits: CgroupLimits): void {
    const key = cgroupKey(support, limits);
    if (this.slots.has(key) || key === '') return;
    const id = `sbx-${newId()}`;
    let cgroup: SandboxCgroup;
    try {
      cgroup = createSandboxCgroup(support, id, limits);
    } catch {
      return;
    }
    let child: ChildProcess;
    try {
      child = spawnWarmWrapper(cgroup);
    } catch {
      this.track(cgroup.destroy());
      return;
    }
    const slot: WarmSlot = { id, cgroup, child, limits };
    const timer = setTimeout(() => {
      if (this.slots.get(key)?.slot === slot) this.slots.delete(key);
      this.track(discard(slot));
    }, WARM_IDLE_MS);
    timer.unref();
    this.slots.set(key, { slot, timer });
  }

  /** Destroys every warm slot and waits until their processes and cgroups are gone. */
  async drain(): Promise<void> {
    const all = [...this.slots.values()];
    this.slots.clear();
    for (const e of all) {
      clearTimeout(e.timer);
      this.track(discard(e.slot));
    }
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Cgroup directories of the slots held now (for tests and leak checks). */
  held(): string[] {
    return [...this.slots.values()].flatMap((e) => e.slot.cgroup.procsFiles.map((f) => dirname(f)));
  }

  private track(p: Promise<void>): void {
    const q = p.catch(() => undefined).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }
}

const pool = new WarmPool();

export const warmPool = {
  take: (support: CgroupSupport, limits: CgroupLimits): WarmSlot | undefined => pool.take(support, limits),
  refill: (support: CgroupSupport, limits: CgroupLimits): void => pool.refill(support, limits),
  drain: (): Promise<void> => pool.drain(),
  held: (): string[] => pool.held(),
};
