/**
 * The sandbox profile: everything a sandbox may see and use. Values here are already parsed
 * (see schema.ts); the launcher trusts them.
 */
export type WorkspaceMode = 'bind' | 'copy' | 'none';

export interface WorkspaceSpec {
  readonly mode: WorkspaceMode;
  /** Host directory (required for `bind` and `copy`). */
  readonly path?: string | undefined;
  /** Where the workspace appears inside the sandbox. Default `/workspace`. */
  readonly target?: string | undefined;
}

export interface SandboxLimits {
  /** Memory limit in bytes (cgroup). */
  readonly memoryBytes?: number | undefined;
  /** Maximum number of tasks (cgroup pids). */
  readonly pids?: number | undefined;
  /** CPU quota in CPUs (e.g. 0.5, 1, 2). */
  readonly cpus?: number | undefined;
  /** Size of the private /tmp in bytes. */
  readonly tmpBytes: number;
}

export interface EgressSpec {
  /** Exact hosts (`api.example.com`), `*.suffix` patterns, or IP literals. Empty = no network. */
  readonly allowHosts: readonly string[];
  /** Ports allowed besides 80 and 443. */
  readonly allowPorts: readonly number[];
}

export type CgroupRequirement = 'required' | 'best-effort';

export interface SandboxProfile {
  readonly workspace: WorkspaceSpec;
  /** Host paths made visible read-only at the same path (the program, its packages). */
  readonly readOnlyPaths: readonly string[];
  readonly limits: SandboxLimits;
  readonly egress: EgressSpec;
  /** Extra environment given to the program (merged over the LaunchSpec's). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Workspace-relative paths the program may not write (SX-11: files a host tool later executes).
   * Existing ones are bound read-only; ones the program creates are quarantined after it exits.
   */
  readonly protectedPaths: readonly string[];
  readonly seccomp: boolean;
  /** Whether a sandbox without cgroup limits may run. Default `best-effort`. */
  readonly cgroups: CgroupRequirement;
  /**
   * `--new-session` (default true). May only be turned off with seccomp on (TIOCSTI blocked),
   * so that an interactive program keeps its controlling terminal.
   */
  readonly newSession: boolean;
  /** Host uid/gid the sandbox runs as when Warden runs as root. Default 65534 (nobody). */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

export const DEFAULT_TMP_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SANDBOX_UID = 65534;
export const WORKSPACE_TARGET = '/workspace';

/** Files and directories that host tools execute or trust (git hooks, editor and agent config). */
export const DEFAULT_PROTECTED_PATHS: readonly string[] = [
  '.git/hooks',
  '.git/config',
  '.gitmodules',
  '.mcp.json',
  '.claude',
  '.vscode',
  '.idea',
  '.envrc',
  '.bashrc',
  '.profile',
  '.zshrc',
  'pyvenv.cfg',
];

export const DEFAULT_PROFILE: SandboxProfile = Object.freeze<SandboxProfile>({
  workspace: { mode: 'none' },
  readOnlyPaths: [],
  limits: { memoryBytes: 512 * 1024 * 1024, pids: 256, cpus: 1, tmpBytes: DEFAULT_TMP_BYTES },
  egress: { allowHosts: [], allowPorts: [] },
  env: {},
  protectedPaths: DEFAULT_PROTECTED_PATHS,
  seccomp: true,
  cgroups: 'best-effort',
  newSession: true,
});

/** A profile with overrides applied over the defaults (shallow per section). */
export function makeProfile(over: SandboxOverrides = {}): SandboxProfile {
  return mergeProfile(DEFAULT_PROFILE, over);
}

/** What a single launch may override (LaunchSpec.sandbox). */
export type SandboxOverrides = Partial<Omit<SandboxProfile, 'limits' | 'egress'>> & {
  readonly limits?: Partial<SandboxLimits> | undefined;
  readonly egress?: Partial<EgressSpec> | undefined;
};

/** Applies per-launch overrides to a base profile. */
export function mergeProfile(base: SandboxProfile, over: SandboxOverrides | undefined): SandboxProfile {
  if (!over) return base;
  const defined = Object.fromEntries(
    Object.entries(over).filter(([, v]) => v !== undefined),
  ) as SandboxOverrides;
  return Object.freeze({
    ...base,
    ...defined,
    limits: { ...base.limits, ...over.limits },
    egress: { ...base.egress, ...over.egress },
  });
}
