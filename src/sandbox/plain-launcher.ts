import { spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';
import type { ExitStatus, LaunchedProcess, Launcher, LaunchSpec } from './launcher.ts';
import { SandboxError } from './errors.ts';

/** Spawns the program directly with exactly the given environment (no sandbox). */
export class PlainLauncher implements Launcher {
  readonly kind = 'plain' as const;

  launch(spec: LaunchSpec): Promise<LaunchedProcess> {
    if (!isAbsolute(spec.command)) throw new TypeError(`launch: command must be absolute (${spec.label})`);
    const child = spawn(spec.command, [...spec.args], {
      env: { ...spec.env },
      cwd: spec.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      detached: true,
    });
    const exited = new Promise<ExitStatus>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => {
        resolve({
          pid: child.pid,
          stdin: child.stdin,
          stdout: child.stdout,
          stderr: child.stderr,
          exited,
          stop: (graceMs = 2000) => stopGroup(child.pid, exited, graceMs),
        });
      });
      child.once('error', (e) =>
        reject(
          new SandboxError('ERR_LAUNCH_FAILED', `cannot start ${spec.label}: ${e.message}`, {
            label: spec.label,
          }),
        ),
      );
    });
  }
}

/** SIGTERM to the process group, SIGKILL after the grace period. */
export async function stopGroup(
  pid: number | undefined,
  exited: Promise<ExitStatus>,
  graceMs: number,
): Promise<ExitStatus> {
  if (pid === undefined) return exited;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((r) => {
    timer = setTimeout(() => {
      signal('SIGKILL');
      r();
    }, graceMs);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  return exited;
}
