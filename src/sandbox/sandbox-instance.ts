import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { buildBwrapArgv } from './bwrap-argv.ts';
import type { HostFacts } from './bwrap-launcher.ts';
import { writeAssetsDir } from './assets-dir.ts';
import { createSandboxCgroup } from './sandbox-cgroup.ts';
import type { SandboxCgroup } from './sandbox-cgroup.ts';
import { SandboxError } from './errors.ts';
import type { ExitStatus, LaunchedProcess, LaunchSpec } from './launcher.ts';
import type { SandboxProfile } from './profile.ts';
import { spawnBwrap, SECCOMP_FD } from './spawn-bwrap.ts';
import { prepareWorkspace } from './workspace.ts';
import { discardSlot, startWarm, warmPool } from './warm-pool.ts';
import type { WarmSlot } from './warm-pool.ts';
import type { PreparedWorkspace } from './workspace.ts';
import { startEgressProxy } from './egress/proxy.ts';
import { createSandboxCa } from './egress/sandbox-ca.ts';
import type { SandboxCa } from './egress/sandbox-ca.ts';
import type { EgressEvent, EgressProxy } from './egress/proxy.ts';
import type { Resolver } from './egress/decide.ts';
import { stopGroup } from './plain-launcher.ts';
import { existingProtected, quarantineCreated } from './protected-paths.ts';
import type { QuarantineEvent } from './protected-paths.ts';

export interface SandboxContext {
  readonly id: string;
  readonly spec: LaunchSpec;
  readonly stdio: 'pipe' | 'inherit';
  readonly profile: SandboxProfile;
  readonly facts: HostFacts;
  readonly identity: { readonly uid: number; readonly gid: number };
  readonly bwrapPath: string;
  readonly setprivPath: string;
  readonly stateDir?: string | undefined;
  readonly onEgress?: ((e: EgressEvent) => void) | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly seccomp?: Buffer | undefined;
  readonly nodePath: string;
  readonly onQuarantine?: ((e: QuarantineEvent) => void) | undefined;
  readonly resolve?: Resolver | undefined;
  readonly inspectUrl?: ((url: string) => string | undefined) | undefined;
  /** Use (and refill) a warm slot: pre-joined cgroups and a waiting wrapper (`warm-pool.ts`). */
  readonly warm?: boolean | undefined;
}

export type SandboxedProcess = LaunchedProcess & {
  readonly sandboxId: string;
  /**
   * Resolves after `exited`, once the sandbox's cgroups are removed (every task killed first),
   * its state directory and workspace copy deleted and its proxy closed. Never rejects.
   */
  readonly destroyed: Promise<void>;
};

interface Resources {
  dir: string;
  protectedBefore?: string[];
  workspace?: PreparedWorkspace;
  proxy?: EgressProxy;
  /** The sandbox's TLS interception CA (placeholder-bound hosts only); its key never leaves memory. */
  ca?: SandboxCa;
  cgroup?: SandboxCgroup;
  slot?: WarmSlot | undefined;
}

/** Whether a launch needs the interception CA: egress on and a rewrite hook with bound hosts. */
export function interceptsTls(spec: LaunchSpec, egressOn: boolean): boolean {
  return egressOn && spec.egressRewrite?.binds !== undefined;
}

/**
 * What the caller observes when the program ends: protected paths it created are quarantined
 * and reported, the egress proxy is closed (its last decisions reported) and the interception
 * CA's key dropped. Runs before `exited`.
 */
async function settle(ctx: SandboxContext, r: Resources): Promise<void> {
  const ws = r.workspace?.hostPath;
  if (ws && r.protectedBefore && ctx.profile.workspace.mode === 'bind') {
    try {
      for (const e of quarantineCreated(ws, ctx.profile.protectedPaths, r.protectedBefore, ctx.id))
        ctx.onQuarantine?.(e);
    } catch {
      // best effort: a rename failure leaves the file for the operator (reported by doctor)
    }
  }
  await r.proxy?.close();
  r.ca?.destroy();
}

/** Removes what is left once the program is gone: cgroups (killing stragglers), copies, state. */
async function teardown(r: Resources): Promise<void> {
  try {
    await r.cgroup?.destroy();
  } finally {
    r.workspace?.dispose();
    rmSync(r.dir, { recursive: true, force: true });
  }
}

async function release(ctx: SandboxContext, r: Resources): Promise<void> {
  try {
    await settle(ctx, r);
  } finally {
    await teardown(r);
  }
}

async function acquire(ctx: SandboxContext, r: Resources): Promise<void> {
  const owner = ctx.facts.root ? ctx.identity : undefined;
  r.workspace = prepareWorkspace(ctx.profile.workspace, owner);
  if (r.workspace.hostPath)
    r.protectedBefore = existingProtected(r.workspace.hostPath, ctx.profile.protectedPaths);
  if (ctx.profile.egress.allowHosts.length > 0) {
    const socketPath = join(r.dir, 'proxy.sock');
    if (interceptsTls(ctx.spec, true)) r.ca = await createSandboxCa(ctx.id);
    r.proxy = await startEgressProxy({
      ca: r.ca,
      socketPath,
      sandboxId: ctx.id,
      allowHosts: ctx.profile.egress.allowHosts,
      allowPorts: ctx.profile.egress.allowPorts,
      onDecision: ctx.onEgress,
      resolve: ctx.resolve,
      inspectUrl: ctx.inspectUrl,
      rewrite: ctx.spec.egressRewrite,
    });
    chmodSync(socketPath, 0o600);
    if (owner) chownSync(socketPath, owner.uid, owner.gid);
  }
  const cgs = ctx.facts.cgroups;
  if (ctx.facts.root || cgs.v2 || Object.keys(cgs.v1).length > 0) {
    r.cgroup ??= createSandboxCgroup(cgs, ctx.id, ctx.profile.limits);
    if (ctx.profile.cgroups === 'required' && r.cgroup.limited.length < 3) {
      throw new SandboxError(
        'ERR_SANDBOX_UNAVAILABLE',
        `cgroup limits could not be applied (got ${r.cgroup.limited.join(',') || 'none'})`,
      );
    }
  }
}

/** Warm start needs piped stdio (the slot's pipes) and seccomp (the slot always has fd 3). */
function warmEligible(ctx: SandboxContext): boolean {
  return ctx.warm === true && ctx.stdio === 'pipe' && ctx.seccomp !== undefined;
}

function argvFor(ctx: SandboxContext, r: Resources): string[] {
  return buildBwrapArgv({
    profile: ctx.profile,
    system: ctx.facts.system,
    command: ctx.spec.command,
    args: ctx.spec.args,
    env: ctx.env,
    cwd: ctx.spec.cwd,
    workspaceHostPath: r.workspace?.hostPath,
    protectedExisting: r.protectedBefore,
    assetsDir: writeAssetsDir(
      ctx.identity.uid,
      ctx.identity.gid,
      r.dir,
      r.proxy !== undefined,
      r.ca === undefined ? {} : { 'ca.pem': r.ca.certPem, 'ca-bundle.pem': r.ca.bundlePem },
    ),
    egress: r.proxy
      ? { socketPath: r.proxy.socketPath, undiciDir: ctx.facts.undiciDir, nodePath: ctx.nodePath }
      : undefined,
    seccompFd: ctx.seccomp ? SECCOMP_FD : undefined,
  });
}

function splitArgv(argv: string[]): { bwrapOptions: string[]; command: string[] } {
  const i = argv.indexOf('--');
  return { bwrapOptions: argv.slice(0, i), command: argv.slice(i + 1) };
}

interface Ends {
  readonly status: Promise<ExitStatus>;
  readonly closed: Promise<void>;
}

/** Records how the process ends (attached as soon as the process object exists). */
function watch(child: ChildProcess): Ends {
  const status = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { status, closed };
}

function waitSpawn(child: ChildProcess, label: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) =>
      reject(
        new SandboxError('ERR_LAUNCH_FAILED', `cannot start sandbox for ${label}: ${e.message}`, {
          label,
        }),
      ),
    );
  });
}

/** Creates the sandbox's resources, starts bwrap, and destroys everything when it exits. */
export async function startSandbox(base: SandboxContext): Promise<SandboxedProcess> {
  const cgs = base.facts.cgroups;
  const slot = warmEligible(base) ? warmPool.take(cgs, base.profile.limits) : undefined;
  // a warm sandbox is named after its cgroups (so leak checks and the kill's membership test agree)
  const ctx = slot ? { ...base, id: slot.id } : base;
  const r: Resources = { dir: mkdtempSync(join(ctx.stateDir ?? tmpdir(), 'warden-sbx-')), slot };
  if (slot) r.cgroup = slot.cgroup;
  let child = slot?.child;
  let ends = child ? watch(child) : undefined;
  try {
    chmodSync(r.dir, 0o755);
    await acquire(ctx, r);
    const plan = {
      bwrapPath: ctx.bwrapPath,
      ...splitArgv(argvFor(ctx, r)),
      drop: ctx.facts.root ? { ...ctx.identity, setprivPath: ctx.setprivPath } : undefined,
      procsFiles: r.cgroup?.procsFiles ?? [],
      seccomp: ctx.seccomp,
      stdio: ctx.stdio,
    };
    if (slot) startWarm(slot, plan);
    else {
      child = spawnBwrap(plan);
      ends = watch(child);
    }
  } catch (e) {
    if (slot) discardSlot(slot);
    await release(ctx, r);
    throw e;
  }
  if (!child || !ends) throw new TypeError('sandbox: no process');
  const proc = child;
  const end = ends;
  let settled!: (s: ExitStatus) => void;
  const exited = new Promise<ExitStatus>((resolve) => (settled = resolve));
  // `exited` once the program is gone and its observable effects are reported; the rest of the
  // teardown (cgroup removal, state and copies) continues after it, and `destroyed` waits for it
  const destroyed = end.closed
    .then(() => settle(ctx, r))
    .catch(() => undefined)
    .then(() => end.status)
    .then(settled)
    .then(() => teardown(r))
    .catch(() => undefined)
    .then(() => {
      // the next launch's slot is prepared after this sandbox is gone: spawning is synchronous in
      // Node and costs CPU, so doing it while a sandbox starts slows that start (measured ~8 ms
      // under load); here it costs start-to-destroyed instead, and back-to-back launches stay warm
      if (warmEligible(base)) warmPool.refill(cgs, base.profile.limits);
    });
  if (!slot) await waitSpawn(proc, ctx.spec.label);
  return {
    sandboxId: ctx.id,
    pid: proc.pid,
    stdin: proc.stdin as Writable,
    stdout: proc.stdout as Readable,
    stderr: proc.stderr as Readable,
    exited,
    destroyed,
    stop: async (graceMs = 2000) => {
      if (ctx.stdio === 'pipe') await stopGroup(proc.pid, exited, graceMs);
      else {
        proc.kill('SIGTERM');
        await r.cgroup?.kill();
      }
      await destroyed;
      return exited;
    },
  };
}
