/**
 * The gateway's cost for `tools/call` (issue 2): Warden (Cedar policy + durable hash-chained
 * audit, SQLite synchronous=FULL with group commit) against the same trivial upstream reached
 * directly, and against mcp-proxy fronting that same upstream, all in one run.
 *
 *   (a) added latency at concurrency 1, official SDK client, interleaved call by call;
 *   (b) capacity in calls/s at concurrency 32, pre-initialised sessions, raw JSON-RPC over
 *       keep-alive HTTP from a lean load generator in its own process, interleaved in rounds.
 *
 * Every server runs in its own process (upstream, Warden, mcp-proxy, load generator). Set
 * WARDEN_BENCH_PROFILE=<dir> to run the Warden child under `--cpu-prof` (profile written there).
 * WARDEN_BENCH_STDIO=0 skips the stdio-upstream comparison (mcp-proxy's CLI, like-for-like).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { BenchContext, BenchRow } from './lib.ts';
import { interleave, percentile } from './lib.ts';
import { FIXTURES, ROOT, runLoad, spawnNode } from './fixtures/procs.ts';
import type { LoadResult, Proc } from './fixtures/procs.ts';

const POLICY = `@id("bench-echo")
permit (principal in Warden::Role::"bench", action == Warden::Action::"call_tool", resource in Warden::Server::"echo");
`;
const ECHO = join(FIXTURES, 'echo-server.mjs');

/** One endpoint under test: where to send calls, with which headers and tool name. */
interface Target {
  readonly label: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly tool: string;
}

async function startWarden(
  dir: string,
  servers: string[],
  profileDir?: string,
): Promise<Proc & { target: Target }> {
  mkdirSync(join(dir, 'policies'), { recursive: true });
  writeFileSync(join(dir, 'policies', 'bench.cedar'), POLICY);
  const yaml = ['version: 1', 'gateway:', '  listen: 127.0.0.1:0', 'servers:', '  echo:', ...servers, ''];
  writeFileSync(join(dir, 'warden.yaml'), yaml.join('\n'));
  const prof = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const p = await spawnNode(
    [...prof, '--import', 'tsx', join(FIXTURES, 'gateway-launcher.ts'), join(dir, 'warden.yaml')],
    { label: 'warden' },
  );
  const { url, token } = p.info as { url: string; token: string };
  return Object.assign(p, {
    target: { label: 'warden', url, headers: { authorization: `Bearer ${token}` }, tool: 'echo.echo' },
  });
}

async function sdkClient(t: Target): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(t.url), { requestInit: { headers: t.headers } }),
  );
  return client;
}

function caller(client: Client, t: Target): () => Promise<void> {
  let n = 0;
  return async () => {
    const text = `lat-${++n}`;
    const r = await client.callTool({ name: t.tool, arguments: { text } });
    const got = (r.content as { text?: string }[] | undefined)?.[0]?.text;
    if (got !== text) throw new Error(`${t.label}: unexpected result ${JSON.stringify(r).slice(0, 200)}`);
  };
}

/** (a) Interleaved SDK-client latency; returns p50/p99 per target label. */
async function latency(
  targets: readonly Target[],
  n: number,
): Promise<Record<string, { p50: number; p99: number }>> {
  const clients = await Promise.all(targets.map(sdkClient));
  try {
    const variants = Object.fromEntries(targets.map((t, i) => [t.label, caller(clients[i]!, t)]));
    const samples = await interleave(n, variants, 100);
    return Object.fromEntries(
      Object.entries(samples).map(([k, s]) => [k, { p50: percentile(s, 50), p99: percentile(s, 99) }]),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }
}

/** (b) Capacity rounds A,B,C,A,B,C…; returns per-target totals over all rounds. */
async function capacity(
  targets: readonly Target[],
  rounds: number,
  durationMs: number,
  log: (m: string) => void,
): Promise<Record<string, LoadResult & { rounds: number[] }>> {
  const out: Record<string, LoadResult & { rounds: number[] }> = {};
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const res = await runLoad({
        url: t.url,
        headers: t.headers,
        tool: t.tool,
        concurrency: 32,
        warmupMs: 1000,
        durationMs,
      });
      log(
        `capacity ${t.label} round ${r + 1}: ${res.rate.toFixed(0)} calls/s, ${res.errors} errors, load generator CPU ${res.cpuPct.toFixed(0)}%`,
      );
      const prev = out[t.label];
      out[t.label] =
        prev === undefined
          ? { ...res, rounds: [res.rate] }
          : {
              ...res,
              calls: prev.calls + res.calls,
              errors: prev.errors + res.errors,
              errorSample: prev.errorSample || res.errorSample,
              seconds: prev.seconds + res.seconds,
              rate: (prev.calls + res.calls) / (prev.seconds + res.seconds),
              cpuPct: Math.max(prev.cpuPct, res.cpuPct),
              rounds: [...prev.rounds, res.rate],
            };
    }
  }
  return out;
}

export default async function gatewayBench(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-gw-'));
  const procs: Proc[] = [];
  const start = async <P extends Proc>(p: Promise<P>): Promise<P> => {
    const x = await p;
    procs.push(x);
    return x;
  };
  try {
    const n = ctx.quick ? 300 : 2000;
    const rounds = ctx.quick ? 1 : 2;
    const durationMs = ctx.quick ? 3000 : 5000;
    const profileDir = process.env.WARDEN_BENCH_PROFILE;

    const echo = await start(spawnNode([ECHO, '--http'], { label: 'echo upstream' }));
    const echoUrl = `http://127.0.0.1:${echo.info.port as number}/mcp`;
    const direct: Target = { label: 'direct', url: echoUrl, headers: {}, tool: 'echo' };
    const warden = (await start(startWarden(join(dir, 'http'), [`    url: ${echoUrl}`], profileDir))).target;
    const proxy = await start(
      spawnNode([join(FIXTURES, 'mcp-proxy-http.mjs'), echoUrl], { label: 'mcp-proxy' }),
    );
    const mcpProxy: Target = {
      label: 'mcp-proxy',
      url: `http://127.0.0.1:${proxy.info.port as number}/mcp`,
      headers: {},
      tool: 'echo',
    };
    const targets = [direct, warden, mcpProxy];

    const rows: BenchRow[] = [];
    ctx.log(`latency: ${n} interleaved calls per target at concurrency 1 (SDK client)`);
    const lat = await latency(targets, n);
    rows.push(...latencyRows(lat, 'HTTP upstream'));

    ctx.log(`capacity: ${rounds} round(s) × ${durationMs} ms per target at concurrency 32`);
    const cap = await capacity(targets, rounds, durationMs, (m) => ctx.log(m));
    rows.push(...capacityRows(cap, 'HTTP upstream'));

    if (process.env.WARDEN_BENCH_STDIO !== '0')
      rows.push(...(await stdioComparison(dir, direct, n, rounds, durationMs, start, ctx)));
    return rows;
  } finally {
    await Promise.all(procs.reverse().map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * mcp-proxy's CLI fronts stdio servers only: the same echo server in stdio mode behind the
 * real `mcp-proxy` CLI, and behind Warden (one stdio child per Warden session, one shared
 * child for mcp-proxy), both compared with the direct HTTP baseline.
 */
async function stdioComparison(
  dir: string,
  direct: Target,
  n: number,
  rounds: number,
  durationMs: number,
  start: <P extends Proc>(p: Promise<P>) => Promise<P>,
  ctx: BenchContext,
): Promise<BenchRow[]> {
  const port = 20000 + (process.pid % 20000);
  const cli = join(ROOT, 'node_modules', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs');
  await start(
    spawnNode(
      [
        cli,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--server',
        'stream',
        '--',
        process.execPath,
        ECHO,
        '--stdio',
      ],
      { label: 'mcp-proxy (stdio)', readyUrl: `http://127.0.0.1:${port}/ping` },
    ),
  );
  const mcpProxy: Target = {
    label: 'mcp-proxy/stdio',
    url: `http://127.0.0.1:${port}/mcp`,
    headers: {},
    tool: 'echo',
  };
  const w = await start(
    startWarden(join(dir, 'stdio'), [
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(ECHO)}, "--stdio"]`,
    ]),
  );
  const warden: Target = { ...w.target, label: 'warden/stdio' };
  const targets = [direct, warden, mcpProxy];
  ctx.log('stdio upstream: latency and capacity (mcp-proxy CLI vs Warden)');
  const lat = await latency(targets, n);
  const cap = await capacity(targets, rounds, durationMs, (m) => ctx.log(m));
  return [...latencyRows(lat, 'stdio upstream'), ...capacityRows(cap, 'stdio upstream')];
}

function latencyRows(lat: Record<string, { p50: number; p99: number }>, variant: string): BenchRow[] {
  const [d, w, m] = Object.keys(lat) as [string, string, string];
  const base = lat[d]!;
  const rows: BenchRow[] = [];
  for (const p of ['p50', 'p99'] as const) {
    const wAdd = lat[w]![p] - base[p];
    const mAdd = lat[m]![p] - base[p];
    const limit = p === 'p50' ? 1 : 5;
    rows.push(
      {
        name: `${variant}: direct callTool ${p}`,
        value: base[p],
        unit: 'ms',
        note: 'SDK client, concurrency 1',
      },
      {
        name: `${variant}: Warden added ${p} over direct`,
        value: wAdd,
        unit: 'ms',
        baseline: { name: `${m} added`, value: mAdd },
        target: `<= ${limit} ms; <= ${m}`,
        met: wAdd <= limit && wAdd <= mAdd,
        note: `absolute: warden ${lat[w]![p].toFixed(3)} ms, ${m} ${lat[m]![p].toFixed(3)} ms, direct ${base[p].toFixed(3)} ms`,
      },
      { name: `${variant}: ${m} added ${p} over direct`, value: mAdd, unit: 'ms', note: 'no security work' },
    );
  }
  return rows;
}

function capacityRows(cap: Record<string, LoadResult & { rounds: number[] }>, variant: string): BenchRow[] {
  const [d, w, m] = Object.keys(cap) as [string, string, string];
  const row = (k: string): string =>
    `${cap[k]!.calls} calls in ${cap[k]!.seconds.toFixed(1)} s, rounds ${cap[k]!.rounds.map((r) => r.toFixed(0)).join('/')}, ` +
    `${cap[k]!.errors} errors${cap[k]!.errors > 0 ? ` (${cap[k]!.errorSample})` : ''}, load generator CPU ≤ ${cap[k]!.cpuPct.toFixed(0)}%, ` +
    `p50 ${cap[k]!.p50.toFixed(2)} ms p99 ${cap[k]!.p99.toFixed(2)} ms`;
  const ok = (k: string): boolean => cap[k]!.errors === 0;
  return [
    { name: `${variant}: direct calls/s @32`, value: cap[d]!.rate, unit: 'calls/s', note: row(d) },
    {
      name: `${variant}: Warden calls/s @32`,
      value: cap[w]!.rate,
      unit: 'calls/s',
      baseline: { name: m, value: cap[m]!.rate },
      target: `>= 5000 and >= ${m}${ok(w) ? '' : ' (RUN HAD ERRORS)'}`,
      met: ok(w) && cap[w]!.rate >= 5000 && cap[w]!.rate >= cap[m]!.rate,
      note: `${row(w)}; ${((cap[w]!.rate / cap[d]!.rate) * 100).toFixed(0)}% of direct`,
    },
    { name: `${variant}: ${m} calls/s @32`, value: cap[m]!.rate, unit: 'calls/s', note: row(m) },
  ];
}
