import { readFileSync } from 'node:fs';
import { BwrapLauncher } from './bwrap-launcher.ts';
import type { BwrapLauncherOptions } from './bwrap-launcher.ts';
import type { SandboxOverrides } from './profile.ts';

export interface RunOptions {
  /** Absolute path of the program. */
  readonly command: string;
  readonly args: readonly string[];
  /** The program's environment (nothing is inherited from Warden's). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly cwd?: string | undefined;
  readonly profile?: SandboxOverrides | undefined;
  readonly launcher?: Omit<BwrapLauncherOptions, 'profile'> | undefined;
  readonly label?: string | undefined;
}

export interface RunResult {
  readonly sandboxId: string;
  /** The program's exit code; 128+N when it died from signal N (as a shell reports it). */
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
}

/** Signals Warden forwards to the program (the terminal sends them to Warden's group only). */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGWINCH',
  'SIGUSR1',
  'SIGUSR2',
];

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s.length > 0)
      .map(Number);
  } catch {
    return [];
  }
}

/** Host pid of the program: outer bwrap → bwrap's pid 1 in the sandbox → the program. */
export function payloadPid(outerPid: number): number | undefined {
  const init = childrenOf(outerPid)[0];
  return init === undefined ? undefined : childrenOf(init)[0];
}

/**
 * Runs one command in a fresh sandbox with Warden's stdio (a TTY stays usable: the program reads
 * and configures the terminal through its inherited descriptors; `--new-session` keeps it from
 * becoming its controlling terminal and seccomp blocks TIOCSTI). Signals Warden receives are
 * forwarded to the program. The sandbox is destroyed when the program exits.
 */
export async function runSandboxed(opts: RunOptions): Promise<RunResult> {
  const launcher = new BwrapLauncher({ ...opts.launcher, profile: opts.profile });
  const p = await launcher.start(
    {
      command: opts.command,
      args: opts.args,
      env: opts.env ?? {},
      cwd: opts.cwd,
      label: opts.label ?? 'run',
    },
    'inherit',
  );
  const forward = (sig: NodeJS.Signals): void => {
    const target = p.pid === undefined ? undefined : payloadPid(p.pid);
    if (target === undefined) return;
    try {
      process.kill(target, sig);
    } catch {
      // gone
    }
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  try {
    const st = await p.exited;
    await p.destroyed; // cgroups and state are gone before `warden run` exits
    const code = st.code ?? 128 + (st.signal ? signalNumber(st.signal) : 0);
    return { sandboxId: p.sandboxId, code, signal: st.signal };
  } finally {
    for (const s of FORWARDED_SIGNALS) process.removeListener(s, forward);
  }
}

const SIGNUMS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGSEGV: 11,
  SIGABRT: 6,
  SIGPIPE: 13,
};

function signalNumber(sig: NodeJS.Signals): number {
  return SIGNUMS[sig] ?? 0;
}
