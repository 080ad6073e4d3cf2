/**
 * The gateway's cost for `tools/call` (issue 2): Warden (Cedar policy + durable hash-chained
 * audit, SQLite synchronous=FULL with group commit) against the same trivial upstream reached
 * directly, and against mcp-proxy fronting that same upstream, all in one run.
 *
 *   (a) added latency at concurrency 1, official SDK client, interleaved call by call;
 *   (b) capacity in calls/s at concurrency 32, pre-initialised sessions, raw JSON-RPC over
 *       keep-alive HTTP from a lean load generator in its own process, interleaved in rounds,
 *       plus the CPU time each server process spent per call (robust on a shared machine).
 *
 * Every server runs in its own process (upstream, Warden, mcp-proxy, load generator).
 *   WARDEN_BENCH_PROFILE=<dir>  run the Warden child under `--cpu-prof` (profile written there)
 *   WARDEN_BENCH_STDIO=0        skip the stdio-upstream comparison (mcp-proxy's own CLI)
 *   WARDEN_BENCH_TMPFS=0        skip the diagnostic Warden with its audit store on tmpfs
 *   WARDEN_BENCH_NICE=-10       run every bench process at that priority (shared machines)
 *   WARDEN_BENCH_FROM=dist|src  compiled Warden (default under `npm run bench`) or source via tsx
 */
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchRow } from './lib.ts';
import { FIXTURES, ROOT, renice, spawnNode } from './fixtures/procs.ts';
import type { Proc } from './fixtures/procs.ts';
import { capacity, latency } from './fixtures/measure.ts';
import type { Target } from './fixtures/measure.ts';
import { capacityRows, latencyRows } from './fixtures/rows.ts';

const POLICY = `@id("bench-echo")
permit (principal in Warden::Role::"bench", action == Warden::Action::"call_tool", resource in Warden::Server::"echo");
`;
const ECHO = join(FIXTURES, 'echo-server.mjs');
/**
 * Which Warden runs: the compiled dist/ (what the `warden` bin runs; `npm run bench` builds it
 * first) or the source through tsx. WARDEN_BENCH_FROM=dist|src overrides.
 */
const FROM =
  process.env.WARDEN_BENCH_FROM === 'src' || process.env.WARDEN_BENCH_FROM === 'dist'
    ? process.env.WARDEN_BENCH_FROM
    : process.env.npm_lifecycle_event === 'bench' &&
        existsSync(join(ROOT, 'dist', 'src', 'gateway', 'index.js'))
      ? 'dist'
      : 'src';

/** What the diagnostic extra targets are (rows' notes). */
const NOTES = {
  passthrough:
    'floor: a Node.js pass-through proxy (node:http + undici, bytes forwarded, no MCP parsing, no security work)',
  'warden-tmpfs': 'diagnosis: audit store on tmpfs (fsync free, not durable)',
};

interface Run {
  readonly dir: string;
  readonly n: number;
  readonly rounds: number;
  readonly durationMs: number;
  readonly ctx: BenchContext;
  start<P extends Proc>(p: Promise<P>): Promise<P>;
}

/** A Warden child: temp dir with warden.yaml, a Cedar policy permitting `echo`, one agent. */
async function startWarden(
  run: Run,
  name: string,
  server: string[],
  opts: { profileDir?: string | undefined; dataDir?: string; upstreamPid?: number } = {},
): Promise<Target> {
  const dir = join(run.dir, name);
  mkdirSync(join(dir, 'policies'), { recursive: true });
  writeFileSync(join(dir, 'policies', 'bench.cedar'), POLICY);
  const yaml = [
    'version: 1',
    ...(opts.dataDir === undefined ? [] : [`data_dir: ${JSON.stringify(opts.dataDir)}`]),
    'gateway:',
    '  listen: 127.0.0.1:0',
    'identity:',
    '  max_token_ttl: 1h',
    'servers:',
    '  echo:',
    ...server.map((l) => `    ${l}`),
    '',
  ];
  writeFileSync(join(dir, 'warden.yaml'), yaml.join('\n'));
  const prof = opts.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', opts.profileDir];
  const loader = FROM === 'src' ? ['--import', 'tsx'] : [];
  const launcher = join(FIXTURES, 'gateway-launcher.mjs');
  const p = await run.start(
    spawnNode([...prof, ...loader, launcher, FROM, join(dir, 'warden.yaml')], { label: name }),
  );
  const { url, token } = p.info as { url: string; token: string };
  if (opts.profileDir !== undefined)
    run.ctx.log(`${name}: pid ${p.child.pid}, CPU profile in ${opts.profileDir}`);
  return {
    label: name,
    url,
    headers: { authorization: `Bearer ${token}` },
    tool: 'echo.echo',
    pids: { server: p.child.pid, upstream: opts.upstreamPid },
  };
}

export default async function gatewayBench(ctx: BenchContext): Promise<BenchRow[]> {
  renice(process.pid);
  const procs: Proc[] = [];
  const cleanup: string[] = [];
  const run: Run = {
    dir: mkdtempSync(join(tmpdir(), 'warden-bench-gw-')),
    n: ctx.quick ? 300 : 2000,
    rounds: ctx.quick ? 1 : 2,
    durationMs: ctx.quick ? 3000 : 5000,
    ctx,
    async start(p) {
      const x = await p;
      procs.push(x);
      return x;
    },
  };
  cleanup.push(run.dir);
  const load0 = loadavg()[0]!;
  ctx.log(
    `Warden from ${FROM}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} CPUs`,
  );
  try {
    const echo = await run.start(spawnNode([ECHO, '--http'], { label: 'echo upstream' }));
    const echoUrl = `http://127.0.0.1:${echo.info.port as number}/mcp`;
    const upstreamPid = echo.child.pid;
    const direct: Target = {
      label: 'direct',
      url: echoUrl,
      headers: {},
      tool: 'echo',
      pids: { upstream: upstreamPid },
    };
    const warden = await startWarden(run, 'warden', [`url: ${echoUrl}`], {
      profileDir: process.env.WARDEN_BENCH_PROFILE,
      upstreamPid,
    });
    const proxy = await run.start(
      spawnNode([join(FIXTURES, 'mcp-proxy-http.mjs'), echoUrl], { label: 'mcp-proxy' }),
    );
    const mcpProxy: Target = {
      label: 'mcp-proxy',
      url: `http://127.0.0.1:${proxy.info.port as number}/mcp`,
      headers: {},
      tool: 'echo',
      pids: { server: proxy.child.pid, upstream: upstreamPid },
    };
    const pass = await run.start(
      spawnNode([join(FIXTURES, 'passthrough-proxy.mjs'), echoUrl], { label: 'passthrough' }),
    );
    const passthrough: Target = {
      label: 'passthrough',
      url: `http://127.0.0.1:${pass.info.port as number}/mcp`,
      headers: {},
      tool: 'echo',
      pids: { server: pass.child.pid, upstream: upstreamPid },
    };
    const targets = [direct, warden, mcpProxy, passthrough];
    if (process.env.WARDEN_BENCH_TMPFS !== '0' && existsSync('/dev/shm')) {
      // Diagnosis: the same gateway with its data directory on tmpfs, where fsync is free;
      // separates the gateway's own cost from this machine's disk (not a durable setup).
      const shm = mkdtempSync('/dev/shm/warden-bench-');
      cleanup.push(shm);
      targets.push(
        await startWarden(run, 'warden-tmpfs', [`url: ${echoUrl}`], {
          dataDir: shm,
          upstreamPid,
          profileDir: process.env.WARDEN_BENCH_PROFILE,
        }),
      );
    }
    const rows = await measure(run, targets, 'HTTP upstream');
    if (process.env.WARDEN_BENCH_STDIO !== '0') {
      const before = procs.length;
      try {
        rows.push(...(await stdioComparison(run, direct)));
      } catch (e) {
        // Keep the HTTP rows: report the failed comparison as a row that does not meet anything.
        const logs = procs.slice(before).map((p) => `${p.label}: ${p.stderr().slice(-600)}`);
        ctx.log(`stdio comparison failed: ${(e as Error).message}\n${logs.join('\n')}`);
        rows.push({
          name: 'stdio upstream: comparison FAILED',
          value: Number.NaN,
          unit: '',
          met: false,
          note: `${(e as Error).message}; ${logs.join('; ').replace(/\s+/g, ' ').slice(0, 600)}`,
        });
      }
    }
    rows.push({
      name: 'machine load average (1 min) at the end',
      value: loadavg()[0]!,
      unit: '',
      note: `at the start ${load0.toFixed(1)}; ${cpus().length} CPUs; Warden from ${FROM}; nice ${process.env.WARDEN_BENCH_NICE ?? '0'}`,
    });
    return rows;
  } catch (e) {
    for (const p of procs) if (p.stderr() !== '') ctx.log(`${p.label} stderr: ${p.stderr()}`);
    throw e;
  } finally {
    await Promise.all(procs.reverse().map((p) => p.stop()));
    for (const d of cleanup) rmSync(d, { recursive: true, force: true });
  }
}

async function measure(run: Run, targets: Target[], variant: string): Promise<BenchRow[]> {
  const { ctx } = run;
  ctx.log(`${variant}: latency, ${run.n} interleaved calls per target at concurrency 1 (SDK client)`);
  const lat = await latency(targets, run.n);
  ctx.log(`${variant}: capacity, ${run.rounds} round(s) × ${run.durationMs} ms per target at concurrency 32`);
  const cap = await capacity(targets, run.rounds, run.durationMs, (m) => ctx.log(m));
  return [...latencyRows(lat, variant, NOTES), ...capacityRows(cap, variant, NOTES)];
}

/**
 * mcp-proxy's CLI fronts stdio servers only: the same echo server in stdio mode behind the
 * real `mcp-proxy` CLI (one shared child), and behind Warden (one child per Warden session),
 * both compared with the direct HTTP baseline.
 */
async function stdioComparison(run: Run, direct: Target): Promise<BenchRow[]> {
  const port = 20000 + (process.pid % 20000);
  const cli = join(ROOT, 'node_modules', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs');
  const args = ['--port', String(port), '--host', '127.0.0.1', '--server', 'stream'];
  const proxy = await run.start(
    spawnNode([cli, ...args, '--', process.execPath, ECHO, '--stdio'], {
      label: 'mcp-proxy (stdio)',
      readyUrl: `http://127.0.0.1:${port}/ping`,
    }),
  );
  const mcpProxy: Target = {
    label: 'mcp-proxy/stdio',
    url: `http://127.0.0.1:${port}/mcp`,
    headers: {},
    tool: 'echo',
    pids: { server: proxy.child.pid },
  };
  const warden = await startWarden(run, 'warden/stdio', [
    `command: ${JSON.stringify(process.execPath)}`,
    `args: [${JSON.stringify(ECHO)}, "--stdio"]`,
  ]);
  return measure(run, [direct, warden, mcpProxy], 'stdio upstream');
}
