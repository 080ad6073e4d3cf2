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
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  BwrapLauncher,
  PlainLauncher,
  buildBwrapArgv,
  detectCgroups,
  drainWarmSlots,
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

async function startToExit(ctx: BenchContext): Promise<BenchRow[]> {
  const assets = mkdtempSync(join(tmpdir(), 'warden-bench-assets-'));
  chmodSync(assets, 0o755);
  const bare = bareArgv(assets);
  const warm = new BwrapLauncher();
  const cold = new BwrapLauncher({ warmStart: false });
  const spec = { command: '/usr/bin/true', args: [], env: {}, label: 'bench' };
  const n = ctx.quick ? 20 : 100;
  const destroyedAfter: number[] = [];
  const timedExit = (launcher: BwrapLauncher, track: boolean) => async (): Promise<number> => {
    const t0 = performance.now();
    const p = await launcher.start(spec, 'pipe');
    p.stdout.resume();
    p.stderr.resume();
    await p.exited;
    const exitedAt = performance.now() - t0;
    await p.destroyed;
    if (track) destroyedAfter.push(performance.now() - t0);
    return exitedAt;
  };
  // interleave() times each variant around the whole call; the Warden variants return their own
  // start-to-exit time (p.exited) so the wait for `destroyed` is not counted in it
  const own: Record<string, number[]> = { warden: [], cold: [] };
  const s = await interleave(
    n,
    {
      plain: () => waitExit(['/usr/bin/true']),
      bwrap: () => waitExit(bare),
      warden: async () => own['warden']!.push(await timedExit(warm, true)()),
      cold: async () => own['cold']!.push(await timedExit(cold, false)()),
    },
    5,
  );
  rmSync(assets, { recursive: true, force: true });
  await drainWarmSlots();
  const skip = (a: number[]): number[] => a.slice(a.length - n);
  const [plain, bwrap, warden, coldMs, destroyed] = [
    median(s['plain'] ?? []),
    median(s['bwrap'] ?? []),
    median(skip(own['warden'] ?? [])),
    median(skip(own['cold'] ?? [])),
    median(skip(destroyedAfter)),
  ];
  ctx.log(
    `true: plain ${plain.toFixed(1)} ms, bwrap ${bwrap.toFixed(1)} ms, warden ${warden.toFixed(1)} ms (p90 ${percentile(skip(own['warden'] ?? []), 90).toFixed(1)}), destroyed ${destroyed.toFixed(1)} ms, cold ${coldMs.toFixed(1)} ms`,
  );
  return [
    { name: 'start-to-exit `true`, plain spawn p50', value: plain, unit: 'ms' },
    {
      name: 'start-to-exit `true`, bare bwrap (same mounts) p50',
      value: bwrap,
      unit: 'ms',
      baseline: { name: 'plain spawn', value: plain },
    },
    {
      name: 'start-to-exit `true`, Warden sandbox p50 (warm start; cgroups, seccomp, assets)',
      value: warden,
      unit: 'ms',
      baseline: { name: 'bare bwrap', value: bwrap },
      target: '<= 5 ms over bare bwrap',
      met: warden - bwrap <= 5,
    },
    {
      name: 'start-to-destroyed `true`, Warden sandbox p50 (cgroups removed, state deleted)',
      value: destroyed,
      unit: 'ms',
      baseline: { name: 'bare bwrap', value: bwrap },
    },
    {
      name: 'start-to-exit `true`, Warden sandbox p50, warmStart: false (joins cgroups on the start path)',
      value: coldMs,
      unit: 'ms',
      baseline: { name: 'bare bwrap', value: bwrap },
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
