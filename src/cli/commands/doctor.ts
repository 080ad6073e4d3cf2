import type { Command } from 'commander';
import { BwrapLauncher, selfTest } from '../../sandbox/index.ts';
import { print, table, EXIT } from '../output.ts';
import type { GlobalOptions } from '../output.ts';

/**
 * `warden doctor`: proves the sandbox is on (THREATS SX-15). Runs the positive controls (read a
 * planted canary outside the workspace, connect to a host loopback listener, resolve a name,
 * write outside the workspace, create a user namespace) inside a real sandbox; each must fail
 * there, and each is also run unsandboxed to prove the probe itself works.
 */
export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'check that sandboxes really isolate: runs forbidden actions inside one and expects every one to fail',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const report = await selfTest(new BwrapLauncher());
      print(opts, report, () =>
        [
          table([
            ['CONTROL', 'IN SANDBOX', 'PROBE WORKS UNSANDBOXED'],
            ...report.controls.map((c) => [
              c.name,
              c.name === 'sandbox-runs'
                ? c.blocked
                  ? 'runs'
                  : 'DOES NOT RUN'
                : c.blocked
                  ? 'blocked'
                  : 'NOT BLOCKED',
              c.controlWorked ? 'yes' : 'NO',
            ]),
          ]),
          '',
          `sandbox uid ${report.uid}, seccomp ${report.seccomp ? 'on' : 'off'}, cgroup controllers: ${report.cgroupControllers.join(', ') || 'none'}`,
          ...report.cgroupNotes.map((n) => `note: ${n}`),
          report.ok
            ? 'ok: the sandbox is enforcing'
            : `FAILED: ${report.failed.join(', ')}; Warden refuses to run sandboxed work`,
        ].join('\n'),
      );
      if (!report.ok) process.exitCode = EXIT.FAIL;
    });
}
