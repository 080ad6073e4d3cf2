/**
 * Sandbox benchmarks: start-to-exit of `true` in a Warden sandbox vs bare bwrap with a comparable
 * profile vs plain spawn (interleaved, same run); 500 create-run-destroy cycles with a leak
 * check; egress proxy throughput vs a direct loopback connection.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { Server } from 'node:net';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import {
  BwrapLauncher,
  PlainLauncher,
  buildBwrapArgv,
  buildSeccompFilter,
  cgroupKey,
  createSandboxCgroup,
  detectCgroups,
  drainWarmSlots,
  hostSeccompArch,
  makeProfile,
  probeHostLayout,
  startEgressProxy,
} from '../src/sandbox/index.ts';
import type { LaunchedProcess } from '../src/sandbox/index.ts';
import type { BenchContext, BenchRow } from './lib.ts';
import { interleave, median, percentile } from './lib.ts';

const ROOT = process.getuid?.() === 0;

function waitExit(argv: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn(argv[0] ?? '', argv.slice(1), { env: {}, stdio: 'ignore' });
    c.once('exit', (code) => resolve(code));
    c.once('error', () => resolve(null));
  });
}

function bareArgv(assets: string): string[] {
  for (const f of ['passwd', 'group', 'hosts']) writeFileSync(join(assets, f), '\n', { mode: 0o644 });
  const opts = buildBwrapArgv({
    profile: makeProfile(),
    system: probeHostLayout(),
    command: '/usr/bin/true',
    args: [],
    env: { PATH: '/usr/bin:/bin' },
    assetsDir: assets,
  });
  const drop = ROOT
    ? ['/usr/bin/setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--']
    : [];
  return [...drop, '/usr/bin/bwrap', ...opts];
}

/** bare bwrap with the seccomp program on fd 3, optionally behind a wrapper joining `procs`. */
function timedBwrap(bare: string[], seccomp: Buffer, procs: readonly string[]): Promise<number> {
  const i = bare.indexOf('/usr/bin/bwrap');
  const argv = [...bare.slice(0, i + 1), '--seccomp', '3', ...bare.slice(i + 1)];
  const join = 'while [ "$1" != -- ]; do echo "$$" >"$1" || exit 125; shift; done; shift; exec "$@"';
  const full = procs.length > 0 ? ['/bin/sh', '-c', join, 'w', ...procs, '--', ...argv] : argv;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn(full[0] ?? '', full.slice(1), { env: {}, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    (c.stdio[3] as Writable).end(seccomp);
    c.once('exit', () => resolve(performance.now() - t0));
    c.once('error', () => resolve(Number.NaN));
  });
}

async function startToExit(ctx: BenchContext): Promise<BenchRow[]> {
  const assets = mkdtempSync(join(tmpdir(), 'warden-bench-assets-'));
  chmodSync(assets, 0o755);
  const bare = bareArgv(assets);
  const warm = new BwrapLauncher();
  const cold = new BwrapLauncher({ warmStart: false });
  const support = detectCgroups();
  const limits = warm.profile.limits;
  const arch = hostSeccompArch();
  const seccomp = arch ? buildSeccompFilter(arch) : Buffer.alloc(0);
  const spec = { command: '/usr/bin/true', args: [], env: {}, label: 'bench' };
  const n = ctx.quick ? 20 : 100;
  const own: Record<string, number[]> = {};
  const rec = (k: string, v: number): void => void (own[k] ??= []).push(v);
  const timed = (k: string, f: () => Promise<number>) => async (): Promise<void> => rec(k, await f());
  const sandbox = (launcher: BwrapLauncher, k: string) => async (): Promise<number> => {
    const t0 = performance.now();
    const p = await launcher.start(spec, 'pipe');
    p.stdout.resume();
    p.stderr.resume();
    await p.exited;
    const exitedAt = performance.now() - t0;
    await p.destroyed;
    rec(`${k}-destroyed`, performance.now() - t0);
    return exitedAt;
  };
  let seq = 0;
  const load0 = loadavg()[0] ?? 0;
  // Interleaved (A, B, C, … per round) so drift hits every variant alike. The breakdown steps
  // (seccomp fd, cgroup joins) use bare bwrap plus only that step.
  await interleave(
    n,
    {
      plain: timed('plain', async () => {
        const t0 = performance.now();
        await waitExit(['/usr/bin/true']);
        return performance.now() - t0;
      }),
      bwrap: timed('bwrap', async () => {
        const t0 = performance.now();
        await waitExit(bare);
        return performance.now() - t0;
      }),
      seccomp: timed('seccomp', () => timedBwrap(bare, seccomp, [])),
      joined: timed('joined', async () => {
        const cg = createSandboxCgroup(support, `sbx-bench-${process.pid}-${seq++}`, limits);
        const ms = await timedBwrap(bare, seccomp, cg.procsFiles);
        await cg.destroy();
        return ms;
      }),
      warden: timed('warden', sandbox(warm, 'warden')),
      cold: timed('cold', sandbox(cold, 'cold')),
    },
    5,
  );
  const load1 = loadavg()[0] ?? 0;
  rmSync(assets, { recursive: true, force: true });
  await drainWarmSlots();
  const m = (k: string): number => median((own[k] ?? []).slice(-n));
  const [plain, bwrap, warden] = [m('plain'), m('bwrap'), m('warden')];
  const hierarchies = cgroupKey(support, limits) || 'none';
  ctx.log(
    `true (load ${load0.toFixed(1)}→${load1.toFixed(1)}): plain ${plain.toFixed(1)}, bwrap ${bwrap.toFixed(1)}, +seccomp fd ${m('seccomp').toFixed(1)}, +joins [${hierarchies}] ${m('joined').toFixed(1)}, warden ${warden.toFixed(1)} (p90 ${percentile((own['warden'] ?? []).slice(-n), 90).toFixed(1)}, destroyed ${m('warden-destroyed').toFixed(1)}), warmStart off ${m('cold').toFixed(1)} (destroyed ${m('cold-destroyed').toFixed(1)}) ms`,
  );
  const vsBwrap = { name: 'bare bwrap', value: bwrap };
  return [
    {
      name: 'load average (1 min) at start / end of the start-to-exit runs',
      value: load0,
      unit: '',
      note: `end ${load1.toFixed(1)}`,
    },
    { name: 'start-to-exit `true`, plain spawn p50', value: plain, unit: 'ms' },
    {
      name: 'start-to-exit `true`, bare bwrap (same mounts) p50',
      value: bwrap,
      unit: 'ms',
      baseline: { name: 'plain spawn', value: plain },
    },
    {
      name: 'breakdown: bare bwrap + seccomp program on fd 3, p50',
      value: m('seccomp'),
      unit: 'ms',
      baseline: vsBwrap,
    },
    {
      name: `breakdown: the same behind a wrapper joining fresh cgroups [${hierarchies}], p50`,
      value: m('joined'),
      unit: 'ms',
      baseline: vsBwrap,
    },
    {
      name: 'start-to-exit `true`, Warden sandbox p50 (warm start; cgroups, seccomp, assets)',
      value: warden,
      unit: 'ms',
      baseline: vsBwrap,
      target: '<= 5 ms over bare bwrap',
      met: warden - bwrap <= 5,
    },
    {
      name: 'start-to-destroyed `true`, Warden sandbox p50 (warm start; cgroups removed, state deleted)',
      value: m('warden-destroyed'),
      unit: 'ms',
      baseline: vsBwrap,
    },
    {
      name: 'start-to-exit `true`, Warden sandbox p50, warmStart: false (cgroups joined on the start path)',
      value: m('cold'),
      unit: 'ms',
      baseline: vsBwrap,
    },
    {
      name: 'start-to-destroyed `true`, Warden sandbox p50, warmStart: false',
      value: m('cold-destroyed'),
      unit: 'ms',
      baseline: vsBwrap,
    },
  ];
}

async function cycles(ctx: BenchContext): Promise<BenchRow[]> {
  const n = ctx.quick ? 50 : 500;
  const state = mkdtempSync(join(tmpdir(), 'warden-bench-cycles-'));
  chmodSync(state, 0o711);
  const launcher = new BwrapLauncher({ stateDir: state });
  const fds0 = readdirSync('/proc/self/fd').length;
  const ids: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const p = await launcher.start({ command: '/usr/bin/true', args: [], env: {}, label: 'cycle' }, 'pipe');
    p.stdout.resume();
    p.stderr.resume();
    ids.push(p.sandboxId);
    await p.exited;
    await p.destroyed;
  }
  const elapsed = performance.now() - t0;
  await drainWarmSlots();
  const cg = detectCgroups();
  const parents = [...Object.values(cg.v1), ...(cg.v2 ? [cg.v2] : [])];
  const leftCg = parents.reduce((a, d) => a + ids.filter((id) => existsSync(join(d, id))).length, 0);
  const leftDirs = readdirSync(state).length;
  const leftFds = readdirSync('/proc/self/fd').length - fds0;
  rmSync(state, { recursive: true, force: true });
  ctx.log(
    `${n} cycles in ${(elapsed / 1000).toFixed(1)} s; left: ${leftCg} cgroups, ${leftDirs} dirs, ${leftFds} fds`,
  );
  return [
    { name: `${n} create-run-destroy cycles, wall time`, value: elapsed / 1000, unit: 's' },
    {
      name: `${n} cycles: cgroups + state dirs + fds left behind`,
      value: leftCg + leftDirs + Math.max(0, leftFds),
      unit: 'count',
      target: '0',
      met: leftCg + leftDirs + Math.max(0, leftFds) === 0,
    },
  ];
}

/** Reads `bytes` from a loopback source, directly or through a CONNECT tunnel; returns MB/s. */
function download(port: number, bytes: number, proxyPort?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect(proxyPort ?? port, '127.0.0.1');
    let got = 0;
    let tunnel = proxyPort === undefined;
    s.on('data', (d: Buffer) => {
      if (!tunnel) {
        const i = d.indexOf('\r\n\r\n');
        if (i < 0) return;
        tunnel = true;
        got += d.length - i - 4;
        return;
      }
      got += d.length;
    });
    s.on('close', () =>
      got >= bytes
        ? resolve(bytes / 1e6 / ((performance.now() - t0) / 1000))
        : reject(new Error(`short read ${got}`)),
    );
    s.on('error', reject);
    if (proxyPort !== undefined) s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

async function throughput(ctx: BenchContext): Promise<BenchRow[]> {
  const bytes = (ctx.quick ? 32 : 256) * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const source: Server = createServer((s) => {
    let left = bytes;
    const pump = (): void => {
      while (left > 0) {
        left -= chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  const port = (source.address() as { port: number }).port;
  const proxy = await startEgressProxy({
    socketPath: 0,
    sandboxId: 'bench',
    allowHosts: [`127.0.0.1:${port}`],
  });
  const direct: number[] = [];
  const viaProxy: number[] = [];
  for (let i = 0; i < (ctx.quick ? 3 : 7); i++) {
    direct.push(await download(port, bytes));
    viaProxy.push(await download(port, bytes, proxy.port));
  }
  await proxy.close();
  await new Promise<void>((r) => source.close(() => r()));
  const [d, p] = [median(direct), median(viaProxy)];
  ctx.log(`throughput: direct ${d.toFixed(0)} MB/s, via egress proxy ${p.toFixed(0)} MB/s`);
  return [
    { name: 'loopback download, direct', value: d, unit: 'MB/s' },
    {
      name: 'loopback download through the egress proxy (CONNECT)',
      value: p,
      unit: 'MB/s',
      baseline: { name: 'direct', value: d },
      note: `${((p / d) * 100).toFixed(0)}% of direct`,
    },
  ];
}

/** A line-delimited JSON-RPC caller over a launched process. */
function rpcOver(p: LaunchedProcess): (method: string, params?: unknown) => Promise<unknown> {
  let next = 1;
  const waiting = new Map<number, (m: unknown) => void>();
  createInterface({ input: p.stdout }).on('line', (line) => {
    const m = JSON.parse(line) as { id?: unknown };
    if (typeof m.id === 'number') waiting.get(m.id)?.(m);
  });
  return (method, params) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      p.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
}

async function mcpRoundTrip(ctx: BenchContext): Promise<BenchRow[]> {
  const req = createRequire(import.meta.url);
  const server = join(
    dirname(req.resolve('@modelcontextprotocol/server-memory/package.json')),
    'dist',
    'index.js',
  );
  const spec = { command: process.execPath, args: [server], env: {}, label: 'memory' };
  const procs = {
    plain: await new PlainLauncher().launch(spec),
    sandboxed: await new BwrapLauncher().launch(spec),
  };
  const calls: Record<string, (m: string, p?: unknown) => Promise<unknown>> = {};
  for (const [k, p] of Object.entries(procs)) {
    p.stderr.resume();
    const call = rpcOver(p);
    await call('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'bench', version: '1' },
    });
    p.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    calls[k] = call;
  }
  const s = await interleave(
    ctx.quick ? 100 : 500,
    {
      plain: () => calls['plain']?.('tools/list') ?? Promise.resolve(),
      sandboxed: () => calls['sandboxed']?.('tools/list') ?? Promise.resolve(),
    },
    20,
  );
  await Promise.all(Object.values(procs).map((p) => p.stop(500)));
  const [a, b] = [median(s['plain'] ?? []), median(s['sandboxed'] ?? [])];
  ctx.log(`MCP tools/list round trip: plain ${a.toFixed(3)} ms, sandboxed ${b.toFixed(3)} ms`);
  return [
    { name: 'MCP tools/list round trip, server-memory unsandboxed p50', value: a, unit: 'ms' },
    {
      name: 'MCP tools/list round trip, server-memory sandboxed p50',
      value: b,
      unit: 'ms',
      baseline: { name: 'unsandboxed', value: a },
      target: 'within 10% of unsandboxed',
      met: b <= a * 1.1,
    },
  ];
}

export default async function sandboxBench(ctx: BenchContext): Promise<BenchRow[]> {
  if (!existsSync('/usr/bin/bwrap'))
    return [{ name: 'sandbox bench skipped: bubblewrap missing', value: 0, unit: '-' }];
  return [
    ...(await startToExit(ctx)),
    ...(await mcpRoundTrip(ctx)),
    ...(await throughput(ctx)),
    ...(await cycles(ctx)),
  ];
}
