import { createSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BwrapLauncher } from './bwrap-launcher.ts';
import { SandboxError } from './errors.ts';
import type { Launcher } from './launcher.ts';
import { PlainLauncher } from './plain-launcher.ts';
import { runToEnd } from './probe-run.ts';

/** One forbidden action: it must work unsandboxed (the control) and fail sandboxed. */
export interface ControlResult {
  readonly name:
    | 'read-canary'
    | 'read-root-only'
    | 'connect-host-loopback'
    | 'udp-dns'
    | 'write-outside'
    | 'new-user-namespace'
    | 'sandbox-runs';
  /** True when the action failed inside the sandbox (what we want). */
  readonly blocked: boolean;
  /** True when the action worked unsandboxed (proves the probe can detect an escape). */
  readonly controlWorked: boolean;
  readonly detail: string;
}

export interface SelfTestReport {
  readonly ok: boolean;
  readonly controls: readonly ControlResult[];
  readonly failed: readonly string[];
  readonly uid: number;
  readonly seccomp: boolean;
  readonly cgroupControllers: readonly string[];
  readonly cgroupNotes: readonly string[];
}

interface Fixture {
  dir: string;
  canary: string;
  secret: string;
  rootOnly: string | undefined;
  tcp: Server;
  tcpPort: number;
  tcpHits: number;
  udpHits: number;
  udpPort: number;
  close(): Promise<void>;
}

async function fixture(root: boolean): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-selftest-'));
  chmodSync(dir, 0o755);
  const secret = randomBytes(12).toString('hex');
  const canary = join(dir, 'canary.txt');
  writeFileSync(canary, secret, { mode: 0o644 });
  let rootOnly: string | undefined;
  if (root) {
    rootOnly = join(dir, 'root-only.txt');
    writeFileSync(rootOnly, secret, { mode: 0o600 });
  }
  const f = { dir, canary, secret, rootOnly, tcpHits: 0, udpHits: 0 } as Fixture;
  f.tcp = createServer((s) => {
    f.tcpHits++;
    s.destroy();
  });
  await new Promise<void>((r) => f.tcp.listen(0, '127.0.0.1', r));
  f.tcpPort = (f.tcp.address() as { port: number }).port;
  const udp = createSocket('udp4');
  udp.on('message', () => f.udpHits++);
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  f.udpPort = udp.address().port;
  f.close = async () => {
    await new Promise<void>((r) => f.tcp.close(() => r()));
    await new Promise<void>((r) => udp.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  };
  return f;
}

const sh = (script: string, label: string) => ({
  command: '/bin/bash',
  args: ['--norc', '-c', script],
  env: {},
  label,
});

async function both(sandbox: Launcher, script: string): Promise<[boolean, boolean, string]> {
  const plain = await runToEnd(new PlainLauncher(), sh(script, 'selftest-control'));
  const boxed = await runToEnd(sandbox, sh(script, 'selftest'));
  return [
    plain.code === 0,
    boxed.code === 0,
    `sandboxed exit ${boxed.code}: ${boxed.stderr.trim().slice(0, 160)}`,
  ];
}

async function controls(launcher: BwrapLauncher, f: Fixture): Promise<ControlResult[]> {
  const out: ControlResult[] = [];
  const runs = await runToEnd(launcher, sh('echo ok', 'selftest'));
  out.push({
    name: 'sandbox-runs',
    blocked: runs.stdout.trim() === 'ok',
    controlWorked: true,
    detail: runs.stderr.trim().slice(0, 300),
  });
  const [c1, s1, d1] = await both(launcher, `cat ${f.canary}`);
  out.push({ name: 'read-canary', blocked: !s1, controlWorked: c1, detail: d1 });
  if (f.rootOnly) {
    const ro = launcher.withProfile({ readOnlyPaths: [f.dir] });
    const [c2, s2, d2] = await both(ro, `cat ${f.rootOnly}`);
    out.push({ name: 'read-root-only', blocked: !s2, controlWorked: c2, detail: d2 });
  }
  const before = f.tcpHits;
  const [c3, s3, d3] = await both(launcher, `exec 3<>/dev/tcp/127.0.0.1/${f.tcpPort}`);
  out.push({
    name: 'connect-host-loopback',
    blocked: !s3 && f.tcpHits === before + 1,
    controlWorked: c3,
    detail: d3,
  });
  const u0 = f.udpHits;
  const [c4, , d4] = await both(
    launcher,
    `printf 'warden-dns-probe' >/dev/udp/127.0.0.1/${f.udpPort}; sleep 0.2`,
  );
  await new Promise((r) => setTimeout(r, 100));
  out.push({
    name: 'udp-dns',
    blocked: f.udpHits === u0 + 1,
    controlWorked: c4 && f.udpHits >= u0 + 1,
    detail: d4,
  });
  const [c6, s6, d6] = await both(launcher, 'unshare -U true');
  out.push({ name: 'new-user-namespace', blocked: !s6, controlWorked: c6, detail: d6 });
  const target = join(f.dir, 'written-by-sandbox');
  const [c5, s5, d5] = await both(launcher, `echo x > ${target} && rm -f ${target}`);
  out.push({ name: 'write-outside', blocked: !s5, controlWorked: c5, detail: d5 });
  return out;
}

/**
 * Positive controls for the sandbox (SX-15): each forbidden action is tried unsandboxed (it must
 * work, or the probe proves nothing) and sandboxed (it must fail). Missing bwrap throws
 * ERR_SANDBOX_UNAVAILABLE with the install command.
 */
export async function selfTest(launcher: BwrapLauncher): Promise<SelfTestReport> {
  const facts = launcher.hostFacts();
  const f = await fixture(facts.root);
  try {
    const cs = await controls(launcher, f);
    const failed = cs.filter((c) => !c.blocked || !c.controlWorked).map((c) => c.name);
    return {
      ok: failed.length === 0,
      controls: cs,
      failed,
      uid: launcher.identity().uid,
      seccomp: launcher.profile.seccomp,
      cgroupControllers: facts.cgroups.controllers,
      cgroupNotes: facts.cgroups.notes,
    };
  } finally {
    await f.close();
  }
}

/** Throws ERR_SANDBOX_SELF_TEST naming the failed controls. */
export function assertSelfTest(report: SelfTestReport): void {
  if (report.ok) return;
  throw new SandboxError('ERR_SANDBOX_SELF_TEST', `sandbox self-test failed: ${report.failed.join(', ')}`, {
    failed: report.failed,
  });
}
