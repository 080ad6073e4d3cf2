/**
 * Running the `warden` CLI from source in a child process, as an operator would, for the CLI
 * tests: one spawn helper and the isolated environment most of them use.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const TSX = import.meta.resolve('tsx');
const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `warden ARGS…` with stdin `input` (a pipe, never a terminal); env inherited unless given. */
export function runWarden(
  args: readonly string[],
  opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): CliRun {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.env === undefined ? {} : { env: opts.env }),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Only PATH, a HOME that holds nothing (no client configurations, no ~/.npmrc) and, on machines
 * behind a TLS-inspecting proxy, the CA bundle Node needs to reach the npm registry.
 */
export function isolatedEnv(cwd: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: join(cwd, 'no-home'),
    ...(process.env.NODE_EXTRA_CA_CERTS === undefined
      ? {}
      : { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }),
  };
}
