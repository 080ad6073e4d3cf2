import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute } from 'node:path';
import { newId } from '../core/index.ts';
import type { SystemEntry } from './bwrap-argv.ts';
import { detectCgroups } from './cgroups.ts';
import { sweepStaleCgroups } from './sandbox-cgroup.ts';
import { assertSelfTest, selfTest } from './self-test.ts';
import type { SelfTestReport } from './self-test.ts';
import type { CgroupSupport } from './cgroups.ts';
import { SandboxError } from './errors.ts';
import type { LaunchedProcess, Launcher, LaunchSpec } from './launcher.ts';
import { probeHostLayout } from './host-layout.ts';
import { makeProfile, mergeProfile, DEFAULT_SANDBOX_UID } from './profile.ts';
import type { SandboxOverrides, SandboxProfile } from './profile.ts';
import { effectiveProfile, insideCwd } from './launch-plan.ts';
import { sandboxEnv } from './sandbox-env.ts';
import { buildSeccompFilter, hostSeccompArch } from './seccomp/bpf.ts';
import { interceptsTls, startSandbox } from './sandbox-instance.ts';
import type { SandboxedProcess } from './sandbox-instance.ts';
import { warmPool } from './warm-pool.ts';
import type { SeccompArch } from './seccomp/syscalls.ts';
import type { EgressEvent } from './egress/proxy.ts';
import type { Resolver } from './egress/decide.ts';
import type { QuarantineEvent } from './protected-paths.ts';
import { compileEgressRules } from './egress/host-rules.ts';
import { unreachableReason } from './reachability.ts';

export const INSTALL_HINT =
  'install bubblewrap: apt-get install -y bubblewrap (Debian/Ubuntu) or dnf install bubblewrap';

export interface BwrapLauncherOptions {
  readonly profile?: SandboxOverrides | undefined;
  /**
   * Receives every egress decision (allowed or refused) with the launch's label and tags; the
   * gateway writes them to the audit log.
   */
  readonly onEgress?: ((e: LaunchEgressEvent) => void) | undefined;
  /** Told when the program created a protected workspace path (renamed away after exit, SX-11). */
  readonly onQuarantine?: ((e: QuarantineEvent) => void) | undefined;
  /** Name resolution for the egress proxy (default: the system resolver). */
  readonly resolve?: Resolver | undefined;
  /** DLP hook for plain-HTTP URLs through the proxy (EX-2); return a reason to refuse. */
  readonly inspectUrl?: ((url: string) => string | undefined) | undefined;
  readonly bwrapPath?: string | undefined;
  readonly setprivPath?: string | undefined;
  /**
   * Run `selfTest` before the first launch and refuse every launch (ERR_SANDBOX_SELF_TEST) if a
   * control fails (SX-15). The result is kept for the launcher's lifetime.
   */
  readonly requireSelfTest?: boolean | undefined;
  /**
   * Base directory for per-sandbox state (assets, proxy socket). Default os.tmpdir(). Must be
   * searchable (o+x) by the sandbox uid, which bwrap runs as.
   */
  readonly stateDir?: string | undefined;
  /**
   * Warm start (default true): after a piped launch, keep one slot of fresh cgroups with a
   * waiting wrapper already inside them for the next launch with the same cgroup hierarchies,
   * so joining the cgroups (an RCU grace period each time on cgroup v1) is off the start path.
   * Unused slots are destroyed after 2 s idle, by `drainWarmSlots()`, or at process exit.
   */
  readonly warmStart?: boolean | undefined;
}

/** An egress decision with the label and tags of the launch whose sandbox made it. */
export interface LaunchEgressEvent extends EgressEvent {
  readonly label: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Host facts probed once per launcher. */
export interface HostFacts {
  readonly system: readonly SystemEntry[];
  readonly cgroups: CgroupSupport;
  readonly undiciDir: string;
  readonly root: boolean;
}

function undiciDir(): string {
  const req = createRequire(import.meta.url);
  return dirname(req.resolve('undici/package.json'));
}

/** Throws ERR_SANDBOX_UNAVAILABLE when bubblewrap (or setpriv, as root) is missing. */
export function assertBwrapAvailable(bwrapPath: string, setprivPath: string, root: boolean): void {
  if (!existsSync(bwrapPath)) {
    throw new SandboxError(
      'ERR_SANDBOX_UNAVAILABLE',
      `bubblewrap not found at ${bwrapPath}; ${INSTALL_HINT}`,
      {
        bwrapPath,
      },
    );
  }
  if (root && !existsSync(setprivPath)) {
    throw new SandboxError(
      'ERR_SANDBOX_UNAVAILABLE',
      `setpriv not found at ${setprivPath} (util-linux); needed to drop root`,
      {
        setprivPath,
      },
    );
  }
}

function tagged(
  onEgress: ((e: LaunchEgressEvent) => void) | undefined,
  spec: LaunchSpec,
): ((e: EgressEvent) => void) | undefined {
  if (onEgress === undefined) return undefined;
  const tags = Object.freeze({ ...spec.tags });
  return (e) => onEgress({ ...e, label: spec.label, tags });
}

const seccompCache = new Map<SeccompArch, Buffer>();

/** The seccomp program for `arch`, generated once per process (bwrap only reads it). */
function seccompFor(arch: SeccompArch): Buffer {
  let prog = seccompCache.get(arch);
  if (!prog) {
    prog = buildSeccompFilter(arch);
    seccompCache.set(arch, prog);
  }
  return prog;
}

/**
 * Destroys every warm slot (processes and cgroups) and waits until they are gone: call it at
 * shutdown, or before counting what sandboxes left behind.
 */
export function drainWarmSlots(): Promise<void> {
  return warmPool.drain();
}

/** The cgroup directories of the warm slots held right now. */
export function warmSlotDirs(): string[] {
  return warmPool.held();
}

/** Runs every launched program in its own disposable bubblewrap sandbox. */
export class BwrapLauncher implements Launcher {
  readonly kind = 'bubblewrap' as const;
  readonly profile: SandboxProfile;
  readonly bwrapPath: string;
  readonly setprivPath: string;
  private facts: HostFacts | undefined;
  private gate: Promise<SelfTestReport> | undefined;
  private readonly options: BwrapLauncherOptions;

  constructor(options: BwrapLauncherOptions = {}) {
    this.options = options;
    this.profile = makeProfile(options.profile);
    this.bwrapPath = options.bwrapPath ?? '/usr/bin/bwrap';
    this.setprivPath = options.setprivPath ?? '/usr/bin/setpriv';
    compileEgressRules(this.profile.egress.allowHosts);
    if (!this.profile.newSession && !this.profile.seccomp) {
      throw new SandboxError(
        'ERR_SANDBOX_CONFIG',
        'newSession=false requires seccomp (TIOCSTI must stay blocked)',
      );
    }
  }

  /** A launcher with the same options and a different profile. */
  withProfile(over: SandboxOverrides): BwrapLauncher {
    return new BwrapLauncher({ ...this.options, profile: mergeProfile(this.profile, over) });
  }

  hostFacts(): HostFacts {
    if (!this.facts) {
      const root = process.getuid?.() === 0;
      assertBwrapAvailable(this.bwrapPath, this.setprivPath, root);
      const cgroups = detectCgroups();
      sweepStaleCgroups(cgroups);
      this.facts = { system: probeHostLayout(), cgroups, undiciDir: undiciDir(), root };
    }
    return this.facts;
  }

  /**
   * The uid/gid the sandbox runs as on the host. As root: the profile's uid, else the owner of a
   * bound workspace when that owner is not root (so the program can write its own files), else
   * 65534 (nobody). Not root: Warden's own uid (bwrap cannot switch users unprivileged).
   */
  identity(profile: SandboxProfile = this.profile): { uid: number; gid: number } {
    if (!this.hostFacts().root) {
      return {
        uid: process.getuid?.() ?? DEFAULT_SANDBOX_UID,
        gid: process.getgid?.() ?? DEFAULT_SANDBOX_UID,
      };
    }
    if (profile.uid !== undefined) return { uid: profile.uid, gid: profile.gid ?? profile.uid };
    const ws = profile.workspace;
    if (ws.mode === 'bind' && ws.path !== undefined) {
      try {
        const st = statSync(ws.path);
        if (st.uid !== 0) return { uid: st.uid, gid: st.gid === 0 ? st.uid : st.gid };
      } catch {
        // reported by prepareWorkspace
      }
    }
    return { uid: DEFAULT_SANDBOX_UID, gid: profile.gid ?? DEFAULT_SANDBOX_UID };
  }

  /** The self-test report (run once, shared by concurrent callers). */
  selfTestReport(): Promise<SelfTestReport> {
    this.gate ??= selfTest(
      new BwrapLauncher({ ...this.options, profile: this.profile, requireSelfTest: false }),
    );
    return this.gate;
  }

  /**
   * Checks a launch before it happens: its settings are valid and, when Warden runs as root, every
   * host path the sandbox binds (workspace, read-only paths, the program) is reachable by the
   * unprivileged uid bubblewrap runs as. Throws ERR_SANDBOX_CONFIG naming the path and the fix.
   */
  preflight(spec: LaunchSpec): void {
    const facts = this.hostFacts();
    const p = effectiveProfile(this.profile, spec);
    if (!facts.root) return;
    const { uid, gid } = this.identity(p);
    const system = facts.system.filter((e) => e.kind === 'dir').map((e) => e.path);
    const bound = [
      ...(p.workspace.mode === 'bind' && p.workspace.path !== undefined ? [p.workspace.path] : []),
      ...p.readOnlyPaths,
      spec.command,
    ].filter((path) => !system.some((d) => path === d || path.startsWith(d + '/')));
    for (const path of bound) {
      const why = unreachableReason(path, uid, gid);
      if (why !== undefined)
        throw new SandboxError(
          'ERR_SANDBOX_CONFIG',
          `${spec.label}: the sandbox runs as uid ${uid}, which cannot reach ${path}: ${why}; put it under a directory others may search (e.g. /opt, /srv) or make its parents searchable (chmod o+x DIR)`,
          { label: spec.label, path },
        );
    }
  }

  launch(spec: LaunchSpec): Promise<LaunchedProcess> {
    return this.start(spec, 'pipe');
  }

  /** Starts a sandbox; `inherit` connects the program to Warden's own stdio (for `warden run`). */
  async start(spec: LaunchSpec, stdio: 'pipe' | 'inherit'): Promise<SandboxedProcess> {
    if (!isAbsolute(spec.command)) throw new TypeError(`launch: command must be absolute (${spec.label})`);
    const facts = this.hostFacts();
    if (this.options.requireSelfTest) assertSelfTest(await this.selfTestReport());
    this.preflight(spec);
    const p = effectiveProfile(this.profile, spec);
    if (p.cgroups === 'required' && facts.cgroups.controllers.length < 3) {
      throw new SandboxError(
        'ERR_SANDBOX_UNAVAILABLE',
        `cgroup limits required but unavailable: ${facts.cgroups.notes.join('; ')}`,
      );
    }
    const arch = hostSeccompArch();
    if (p.seccomp && !arch)
      throw new SandboxError('ERR_SANDBOX_UNAVAILABLE', `no seccomp syscall table for ${process.arch}`);
    const id = `sbx-${newId()}`;
    return startSandbox({
      id,
      spec: { ...spec, cwd: insideCwd(p, spec.cwd) },
      stdio,
      profile: p,
      facts,
      identity: this.identity(p),
      bwrapPath: this.bwrapPath,
      setprivPath: this.setprivPath,
      stateDir: this.options.stateDir,
      onEgress: tagged(this.options.onEgress, spec),
      onQuarantine: this.options.onQuarantine,
      resolve: this.options.resolve,
      inspectUrl: this.options.inspectUrl,
      env: sandboxEnv(
        spec.env,
        p,
        p.egress.allowHosts.length > 0,
        interceptsTls(spec, p.egress.allowHosts.length > 0),
      ),
      seccomp: p.seccomp && arch ? seccompFor(arch) : undefined,
      nodePath: process.execPath,
      warm: this.options.warmStart ?? true,
    });
  }
}
