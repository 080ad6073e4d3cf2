import { INSIDE } from './bwrap-argv.ts';
import type { SandboxProfile } from './profile.ts';
import { WORKSPACE_TARGET } from './profile.ts';

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];

/**
 * The program's environment inside the sandbox: the LaunchSpec's env, the profile's env over it,
 * defaults for PATH/HOME, and — when egress is on — the proxy variables and the fetch preload;
 * with TLS interception also the CA variables (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, …).
 * Proxy variables are always Warden's: a caller cannot point them elsewhere.
 */
/** Where the interception CA and the combined trust bundle appear inside the sandbox. */
export const INSIDE_CA = `${INSIDE.assets}/ca.pem`;
export const INSIDE_CA_BUNDLE = `${INSIDE.assets}/ca-bundle.pem`;
const CA_VARS = ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'];

export function sandboxEnv(
  specEnv: Readonly<Record<string, string>>,
  profile: SandboxProfile,
  egressOn: boolean,
  interceptTls = false,
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
  if (interceptTls) {
    // the sandbox's own CA (for the placeholder-bound hosts it intercepts) on top of the system store
    env['NODE_EXTRA_CA_CERTS'] = INSIDE_CA;
    for (const k of CA_VARS) env[k] = INSIDE_CA_BUNDLE;
  }
  return env;
}
