import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
}

export type SandboxedProcess = LaunchedProcess & { readonly sandboxId: string };

interface Resources {
  dir: string;
  protectedBefore?: string[];
  workspace?: PreparedWorkspace;
  proxy?: EgressProxy;
  /** The sandbox's TLS interception CA (placeholder-bound hosts only); its key never leaves memory. */
  ca?: SandboxCa;
  cgroup?: SandboxCgroup;
}

/** Whether a launch needs the interception CA: egress on and a rewrite hook with bound hosts. */
export function interceptsTls(spec: LaunchSpec, egressOn: boolean): boolean {
  return egressOn && spec.egressRewrite?.binds !== undefined;
}

async function release(ctx: SandboxContext, r: Resources): Promise<void> {
  await r.cgroup?.destroy();
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
  r.workspace?.dispose();
  rmSync(r.dir, { recursive: true, force: true });
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
    r.cgroup = createSandboxCgroup(cgs, ctx.id, ctx.profile.limits);
    if (ctx.profile.cgroups === 'required' && r.cgroup.limited.length < 3) {
      throw new SandboxError(
        'ERR_SANDBOX_UNAVAILABLE',
        `cgroup limits could not be applied (got ${r.cgroup.limited.join(',') || 'none'})`,
      );
    }
  }
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

/** Creates the sandbox's resources, starts bwrap, and destroys everything when it exits. */
export async function startSandbox(ctx: SandboxContext): Promise<SandboxedProcess> {
  const r: Resources = { dir: mkdtempSync(join(ctx.stateDir ?? tmpdir(), 'warden-sbx-')) };
  chmodSync(r.dir, 0o755);
  let child;
  try {
    await acquire(ctx, r);
    child = spawnBwrap({
      bwrapPath: ctx.bwrapPath,
      ...splitArgv(argvFor(ctx, r)),
      drop: ctx.facts.root ? { ...ctx.identity, setprivPath: ctx.setprivPath } : undefined,
      procsFiles: r.cgroup?.procsFiles ?? [],
      seccomp: ctx.seccomp,
      stdio: ctx.stdio,
    });
  } catch (e) {
    await release(ctx, r);
    throw e;
  }
  const exited = new Promise<ExitStatus>((resolve) => {
    let status: ExitStatus = { code: null, signal: null };
    child.once('exit', (code, signal) => (status = { code, signal }));
    child.once('error', () => undefined);
    child.once(
      'close',
      () =>
        void release(ctx, r).then(
          () => resolve(status),
          () => resolve(status),
        ),
    );
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) =>
      reject(
        new SandboxError('ERR_LAUNCH_FAILED', `cannot start sandbox for ${ctx.spec.label}: ${e.message}`, {
          label: ctx.spec.label,
        }),
      ),
    );
  });
  return {
    sandboxId: ctx.id,
    pid: child.pid,
    stdin: child.stdin as Writable,
    stdout: child.stdout as Readable,
    stderr: child.stderr as Readable,
    exited,
    stop: async (graceMs = 2000) => {
      if (ctx.stdio === 'pipe') return stopGroup(child.pid, exited, graceMs);
      child.kill('SIGTERM');
      await r.cgroup?.kill();
      return exited;
    },
  };
}
