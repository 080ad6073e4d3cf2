/**
 * What monitoring adds to a gateway call (issue 7: at most 10% added p50): two real gateways in
 * this process, identical but for `monitor.enabled`, each with the same trivial stdio upstream
 * (bench/fixtures/echo-server.mjs) and its own SQLite store; the official SDK client calls
 * `echo` through both, interleaved call by call so machine noise hits both alike.
 *
 * With monitoring on, each call also runs the pre detectors, inspects and labels the result
 * (a ~2 KB ordinary text), taints the session, and queues the baseline update and `post` off
 * the reply's path, and exports one OTLP span per call (protobuf, the default) to a loopback
 * receiver in this process that drains each request and answers 200. The agent has a trained
 * baseline (so the detectors do their full work).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../src/config/index.ts';
import { startGateway } from '../src/gateway/index.ts';
import type { RunningGateway } from '../src/gateway/index.ts';
import type { BenchContext, BenchRow } from './lib.ts';
import { interleave, median, percentile } from './lib.ts';
import { FIXTURES } from './fixtures/procs.ts';

const POLICY = `@id("bench-echo")
permit (principal in Warden::Role::"bench", action == Warden::Action::"call_tool", resource in Warden::Server::"echo");
`;
const TEXT = (
  'The quarterly report shows steady growth in every region; the board will review the plan on ' +
  'Thursday and publish the minutes next week. '
).repeat(12);

/** A loopback OTLP/HTTP sink: reads each request to its end and answers 200 (an empty response). */
async function otlpSink() {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function gateway(
  dir: string,
  monitor: boolean,
  otlp?: string,
): Promise<{ gw: RunningGateway; client: Client }> {
  mkdirSync(join(dir, 'policies'), { recursive: true });
  writeFileSync(join(dir, 'policies', 'bench.cedar'), POLICY);
  writeFileSync(
    join(dir, 'warden.yaml'),
    [
      'version: 1',
      'gateway:',
      '  listen: 127.0.0.1:0',
      // the bench authenticates with the agent's API key (token costs are in identity.bench.ts)
      'identity:',
      '  api_keys: direct',
      'servers:',
      '  echo:',
      `    command: ${process.execPath}`,
      `    args: [${JSON.stringify(join(FIXTURES, 'echo-server.mjs'))}, --stdio]`,
      'monitor:',
      `  enabled: ${monitor}`,
      '  learning: { minEvents: 50, minDurationMs: 0 }',
      ...(otlp === undefined ? [] : [`  otlp: { endpoint: ${JSON.stringify(otlp)} }`]),
      '',
    ].join('\n'),
  );
  const gw = await startGateway(loadConfig(join(dir, 'warden.yaml')), { watchPolicies: false });
  const key = (await gw.registry.create({ name: 'bench-agent', roles: ['bench'] })).credential.token;
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gw.url), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    }),
  );
  return { gw, client };
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'warden-bench-mon-'));
  const sink = await otlpSink();
  const off = await gateway(join(root, 'off'), false);
  const on = await gateway(join(root, 'on'), true, sink.endpoint);
  try {
    const call = (c: Client) => () => c.callTool({ name: 'echo.echo', arguments: { text: TEXT } });
    const n = ctx.quick ? 200 : 2000;
    // the warm-up (100 calls each) also trains the monitored agent past its learning period
    const s = await interleave(n, { off: call(off.client), on: call(on.client) }, 100);
    const offP50 = median(s.off!);
    const onP50 = median(s.on!);
    const added = ((onP50 - offP50) / offP50) * 100;
    ctx.log(
      `p99 off ${percentile(s.off!, 99).toFixed(3)} ms, on ${percentile(s.on!, 99).toFixed(3)} ms; ` +
        `alerts ${on.gw.services.monitor!.monitor.alertStats().emitted}; ` +
        `OTLP ${JSON.stringify(on.gw.services.monitor!.exporter!.stats)} in ${sink.requests()} requests`,
    );
    return [
      {
        name: 'tools/call p50 via warden, monitoring on',
        value: onP50 * 1000,
        unit: 'µs',
        baseline: { name: 'monitoring off', value: offP50 * 1000 },
        target: '<= 10% added p50',
        met: added <= 10,
        note: `${added.toFixed(1)}% added (${n} interleaved calls each)`,
      },
      {
        name: 'tools/call p99 via warden, monitoring on',
        value: percentile(s.on!, 99) * 1000,
        unit: 'µs',
        baseline: { name: 'monitoring off', value: percentile(s.off!, 99) * 1000 },
      },
    ];
  } finally {
    await on.client.close().catch(() => {});
    await off.client.close().catch(() => {});
    await on.gw.close();
    await off.gw.close();
    await sink.close();
    rmSync(root, { recursive: true, force: true });
  }
}
