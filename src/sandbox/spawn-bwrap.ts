import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

/**
 * Host-side wrapper (bash) run before bwrap, as Warden's user (root or not). Arguments arrive as
 * argv, never interpolated: descriptors to close (digits only, checked) `--`, cgroup.procs files
 * to join `--`, then the command, exec'd with an EMPTY environment (`exec -c`).
 */
export const HOST_WRAP = [
  'while [ "$1" != -- ]; do eval "exec $1>&-"; shift; done; shift',
  'while [ "$1" != -- ]; do echo "$$" >"$1" || exit 125; shift; done; shift',
  'exec -c "$@"',
].join('\n');

export const BASH = '/bin/bash';
export const SH = '/bin/sh';

/**
 * The faster wrapper when no descriptor needs closing: joins the cgroups and execs. PWD is the
 * only variable sh exports on its own (cwd is /); it is removed before exec.
 */
export const SH_WRAP = [
  'while [ "$1" != -- ]; do echo "$$" >"$1" || exit 125; shift; done; shift',
  'unset PWD OLDPWD',
  'exec "$@"',
].join('\n');

/** Our own descriptors above 4 that a child would inherit (no O_CLOEXEC), e.g. from a parent shell. */
export function inheritableFds(): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc/self/fdinfo');
  } catch {
    return out;
  }
  for (const n of names) {
    const fd = Number(n);
    if (!Number.isInteger(fd) || fd <= ARGS_FD) continue;
    try {
      const m = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${n}`, 'utf8'));
      if (m?.[1] && (parseInt(m[1], 8) & O_CLOEXEC) === 0) out.push(fd);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

const O_CLOEXEC = 0o2000000;

export interface SpawnPlan {
  readonly bwrapPath: string;
  /** bwrap options (sent through `--args FD`, so env values never show in `ps`). */
  readonly bwrapOptions: readonly string[];
  /** The program argv inside the sandbox (after `--` on bwrap's real command line). */
  readonly command: readonly string[];
  /** Drop to this uid/gid with setpriv before bwrap (set when Warden runs as root). */
  readonly drop?: { readonly uid: number; readonly gid: number; readonly setprivPath: string } | undefined;
  readonly procsFiles: readonly string[];
  readonly seccomp?: Buffer | undefined;
  readonly stdio: 'pipe' | 'inherit';
}

export const SECCOMP_FD = 3;
export const ARGS_FD = 4;

/**
 * bwrap's own argv, behind setpriv when dropping root: options travel through `--args FD` so env
 * values never show in `ps`.
 */
export function hostArgv(plan: SpawnPlan): string[] {
  const bwrap = [plan.bwrapPath, '--args', String(ARGS_FD), '--', ...plan.command];
  return plan.drop
    ? [
        plan.drop.setprivPath,
        '--reuid',
        String(plan.drop.uid),
        '--regid',
        String(plan.drop.gid),
        '--clear-groups',
        '--no-new-privs',
        '--',
        ...bwrap,
      ]
    : bwrap;
}

function commandLine(plan: SpawnPlan): { file: string; argv: string[] } {
  const dropped = hostArgv(plan);
  const fds = inheritableFds().map(String);
  if (fds.length === 0 && plan.procsFiles.length === 0)
    return { file: dropped[0] ?? '', argv: dropped.slice(1) };
  if (fds.length === 0) {
    return { file: SH, argv: ['-c', SH_WRAP, 'warden-wrap', ...plan.procsFiles, '--', ...dropped] };
  }
  return {
    file: BASH,
    argv: [
      '--norc',
      '--noprofile',
      '-c',
      HOST_WRAP,
      'warden-wrap',
      ...fds,
      '--',
      ...plan.procsFiles,
      '--',
      ...dropped,
    ],
  };
}

export function nulJoin(args: readonly string[]): Buffer {
  for (const a of args) if (a.includes('\0')) throw new TypeError('sandbox: argument contains NUL');
  return Buffer.from(args.map((a) => a + '\0').join(''), 'utf8');
}

/**
 * Spawns bwrap with an EMPTY environment (bwrap's pid 1 keeps its environment readable at
 * /proc/1/environ), the seccomp program on fd 3 and the argument list on fd 4.
 */
export function spawnBwrap(plan: SpawnPlan): ChildProcess {
  const { file, argv } = commandLine(plan);
  const io = plan.stdio;
  const child = spawn(file, argv, {
    env: {},
    stdio: [io, io, io, plan.seccomp ? 'pipe' : 'ignore', 'pipe'],
    shell: false,
    cwd: '/',
    detached: true,
  });
  feedBwrap(child, plan);
  return child;
}

/** Writes the seccomp program (fd 3) and bwrap's options (fd 4); bwrap reads both to their end. */
export function feedBwrap(child: ChildProcess, plan: SpawnPlan): void {
  const seccompPipe = child.stdio[SECCOMP_FD] as Writable | null;
  const argsPipe = child.stdio[ARGS_FD] as Writable | null;
  for (const p of [seccompPipe, argsPipe]) p?.on('error', () => undefined);
  if (seccompPipe) {
    if (plan.seccomp) seccompPipe.end(plan.seccomp);
    else seccompPipe.destroy();
  }
  argsPipe?.end(nulJoin(plan.bwrapOptions));
}
