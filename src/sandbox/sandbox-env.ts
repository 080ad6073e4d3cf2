import { INSIDE } from './bwrap-argv.ts';
import type { SandboxProfile } from './profile.ts';
import { WORKSPACE_TARGET } from './profile.ts';

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];

/**
 * The program's environment inside the sandbox: the LaunchSpec's env, the profile's env over it,
 * defaults for PATH/HOME, and — when egress is on — the proxy variables and the fetch preload.
 * Proxy variables are always Warden's: a caller cannot point them elsewhere.
 */
export function sandboxEnv(
  specEnv: Readonly<Record<string, string>>,
  profile: SandboxProfile,
  egressOn: boolean,
): Record<string, string> {
  const env: Record<string, string> = { ...specEnv, ...profile.env };
  for (const k of [...PROXY_VARS, 'NO_PROXY', 'no_proxy']) delete env[k];
  env['PATH'] ??= DEFAULT_PATH;
  env['HOME'] ??= profile.workspace.mode === 'none' ? '/tmp' : (profile.workspace.target ?? WORKSPACE_TARGET);
  env['TMPDIR'] ??= '/tmp';
  if (!egressOn) return env;
  const url = `http://127.0.0.1:${INSIDE.relayPort}`;
  for (const k of PROXY_VARS) env[k] = url;
  env['NO_PROXY'] = '';
  env['no_proxy'] = '';
  const preload = `--require ${INSIDE.preload}`;
  const prior = env['NODE_OPTIONS'];
  env['NODE_OPTIONS'] = prior ? `${preload} ${prior}` : preload;
  return env;
}
