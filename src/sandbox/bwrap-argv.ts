import { posix } from 'node:path';
import type { SandboxProfile } from './profile.ts';
import { WORKSPACE_TARGET } from './profile.ts';

/** How a system path looks on the host (probed once by `probeHostLayout`). */
export interface SystemEntry {
  readonly path: string;
  readonly kind: 'dir' | 'file' | 'symlink';
  /** Link target for symlinks (e.g. `usr/bin` for `/bin` on merged-/usr systems). */
  readonly target?: string | undefined;
}

/** Fixed paths inside every sandbox. */
export const INSIDE = {
  wardenDir: '/run/warden',
  assets: '/run/warden/lib',
  undici: '/run/warden/undici',
  proxySocket: '/run/warden/proxy.sock',
  relay: '/run/warden/lib/relay.cjs',
  preload: '/run/warden/lib/proxy-preload.cjs',
  relayReady: '/tmp/.warden-relay-ready',
  relayPort: 3128,
  hostname: 'warden-sandbox',
} as const;

export interface EgressMount {
  /** Host path of the proxy's Unix socket. */
  readonly socketPath: string;
  /** Host directory of the undici package (for the fetch preload). */
  readonly undiciDir: string;
  /** Absolute path of the node binary that runs the relay (must be visible inside). */
  readonly nodePath: string;
}

export interface BwrapPlan {
  readonly profile: SandboxProfile;
  readonly system: readonly SystemEntry[];
  readonly command: string;
  readonly args: readonly string[];
  /** The program's complete environment (LaunchSpec env merged with the profile's). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string | undefined;
  /** Host directory bound as the workspace (the copy for `copy` mode). */
  readonly workspaceHostPath?: string | undefined;
  /** Workspace-relative protected paths that exist (bound read-only over the workspace). */
  readonly protectedExisting?: readonly string[] | undefined;
  /** Host directory with relay.cjs, proxy-preload.cjs, passwd, group, hosts. */
  readonly assetsDir: string;
  readonly egress?: EgressMount | undefined;
  /** File descriptor (in bwrap) holding the seccomp program, when seccomp is on. */
  readonly seccompFd?: number | undefined;
}

/**
 * The shell run inside the sandbox before the program when egress is on: starts the relay
 * (127.0.0.1:3128 → proxy socket), waits until it listens, then execs the program.
 * Arguments: $1 node, $2 relay.cjs, $3 "--", then the program argv. Nothing is interpolated.
 */
export const RELAY_INIT = [
  'f=' + INSIDE.relayReady,
  'mkfifo -m 600 "$f" || exit 125',
  '( NODE_OPTIONS= "$1" "$2" "$f" </dev/null >/dev/null || echo fail >"$f" ) &',
  'read -r s <"$f"; rm -f "$f"',
  '[ "$s" = ok ] || { echo "warden: egress relay did not start" >&2; exit 125; }',
  'shift 3; exec "$@"',
].join('\n');

function systemMounts(system: readonly SystemEntry[]): string[] {
  const out: string[] = [];
  for (const e of system) {
    if (e.kind === 'symlink' && e.target !== undefined) out.push('--symlink', e.target, e.path);
    else out.push('--ro-bind', e.path, e.path);
  }
  return out;
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

function readOnlyMounts(plan: BwrapPlan): string[] {
  const sysDirs = plan.system.filter((e) => e.kind === 'dir').map((e) => e.path);
  const paths = new Set<string>(plan.profile.readOnlyPaths);
  if (posix.isAbsolute(plan.command)) paths.add(plan.command);
  if (plan.egress) paths.add(plan.egress.nodePath);
  const out: string[] = [];
  for (const p of [...paths].sort()) {
    if (sysDirs.some((d) => isUnder(p, d))) continue;
    out.push('--ro-bind', p, p);
  }
  return out;
}

function assetMounts(plan: BwrapPlan): string[] {
  const a = plan.assetsDir;
  const out = ['--dir', INSIDE.wardenDir, '--ro-bind', a, INSIDE.assets];
  for (const f of ['passwd', 'group', 'hosts']) out.push('--ro-bind', posix.join(a, f), `/etc/${f}`);
  if (plan.egress) {
    out.push('--ro-bind', plan.egress.undiciDir, INSIDE.undici);
    out.push('--bind', plan.egress.socketPath, INSIDE.proxySocket);
  }
  return out;
}

function workspaceMounts(plan: BwrapPlan): string[] {
  const ws = plan.profile.workspace;
  if (ws.mode === 'none' || plan.workspaceHostPath === undefined) return [];
  const target = ws.target ?? WORKSPACE_TARGET;
  const out = ['--bind', plan.workspaceHostPath, target];
  for (const rel of plan.protectedExisting ?? []) {
    out.push('--ro-bind', posix.join(plan.workspaceHostPath, rel), posix.join(target, rel));
  }
  return out;
}

function envArgs(env: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(env).sort()) out.push('--setenv', k, env[k] ?? '');
  return out;
}

/** Namespaces, process hygiene and capabilities: identical for every sandbox. */
export const BASE_FLAGS: readonly string[] = [
  '--unshare-user',
  '--unshare-pid',
  '--unshare-net',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-cgroup-try',
  '--disable-userns',
  '--die-with-parent',
  '--cap-drop',
  'ALL',
  '--clearenv',
];

/** The program argv after bwrap's options (wrapped by the relay init when egress is on). */
export function innerCommand(plan: BwrapPlan): string[] {
  const cmd = [plan.command, ...plan.args];
  if (!plan.egress) return cmd;
  return ['/bin/sh', '-c', RELAY_INIT, 'warden-init', plan.egress.nodePath, INSIDE.relay, '--', ...cmd];
}

/**
 * The complete bwrap argument list (without `bwrap` itself) for a plan. Pure: the same plan
 * always gives the same argv. Never binds `/`, `/home`, the host `/tmp` or `/run`.
 */
export function buildBwrapArgv(plan: BwrapPlan): string[] {
  const p = plan.profile;
  const workdir = plan.cwd ?? (p.workspace.mode === 'none' ? '/' : (p.workspace.target ?? WORKSPACE_TARGET));
  return [
    ...BASE_FLAGS,
    ...(p.newSession ? ['--new-session'] : []),
    '--hostname',
    INSIDE.hostname,
    ...systemMounts(plan.system),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(p.limits.tmpBytes),
    '--tmpfs',
    '/tmp',
    ...assetMounts(plan),
    ...readOnlyMounts(plan),
    ...workspaceMounts(plan),
    '--remount-ro',
    '/',
    '--chdir',
    workdir,
    ...envArgs(plan.env),
    ...(plan.seccompFd !== undefined ? ['--seccomp', String(plan.seccompFd)] : []),
    '--',
    ...innerCommand(plan),
  ];
}
