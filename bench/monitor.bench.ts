/**
 * Cost of monitoring per call: `pre()` + `post()` (+ the deferred baseline update) on a trained
 * Monitor, against an empty function in the same run, and a loopback HTTP round trip with and
 * without monitoring around it (a stand-in for a gateway call, interleaved so noise hits both).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Monitor, parseMonitorConfig } from '../src/monitor/index.ts';
import type { MonitorEvent } from '../src/monitor/index.ts';
import type { BenchContext, BenchRow } from './lib.ts';
import { interleave, median, percentile } from './lib.ts';

const T0 = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;
const FILES = ['index', 'server', 'client', 'utils', 'config', 'router', 'db', 'auth'];

function event(i: number, time: number): MonitorEvent {
  return {
    seq: i,
    time,
    agent: 'agent-a',
    session: `s${i % 50}`,
    method: 'tools/call',
    server: 'fs',
    tool: i % 3 === 0 ? 'list_directory' : 'read_file',
    args: { path: `/work/app/src/${FILES[i % FILES.length]}.ts`, encoding: 'utf8' },
    annotations: { readOnlyHint: true },
    decision: 'allow',
    outcome: 'ok',
    durationMs: 2,
    resultBytes: 2000 + (i % 500),
    findings: { secrets: 0, injection: 'clean' },
    trust: 'trusted',
  };
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const m = new Monitor({
    config: parseMonitorConfig({ learning: { minEvents: 100, minDurationMs: HOUR } }),
  });
  for (let i = 0; i < 5000; i++) {
    const e = event(i, T0 + i * 60_000);
    m.pre(e);
    m.post(e);
    if (i % 100 === 0) m.drain();
  }
  m.drain();
  let i = 10_000;
  const now = T0 + 6000 * 60_000;
  const n = ctx.quick ? 2000 : 20_000;
  const micro = await interleave(n, {
    empty: () => Promise.resolve(),
    prePost: () => {
      const e = event(i++, now + i * 100);
      m.pre(e);
      m.post(e);
      return Promise.resolve();
    },
    prePostDrain: () => {
      const e = event(i++, now + i * 100);
      m.pre(e);
      m.post(e);
      m.drain();
      return Promise.resolve();
    },
  });

  const server = createServer((_req, res) => res.end('{"jsonrpc":"2.0","id":1,"result":{"content":[]}}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const call = async (): Promise<void> => {
    const res = await fetch(url, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call"}' });
    await res.text();
  };
  const calls = await interleave(ctx.quick ? 300 : 3000, {
    bare: call,
    monitored: async () => {
      const e = event(i++, now + i * 100);
      if (m.pre(e).block) return;
      await call();
      m.post(e);
    },
  });
  server.close();

  const us = (xs: number[]): number => median(xs) * 1000;
  const bare = median(calls.bare!);
  const mon = median(calls.monitored!);
  const added = ((mon - bare) / bare) * 100;
  ctx.log(`pre+post p99 ${(percentile(micro.prePost!, 99) * 1000).toFixed(1)} µs`);
  return [
    {
      name: 'pre()+post() per event p50',
      value: us(micro.prePost!),
      unit: 'µs',
      baseline: { name: 'empty function', value: us(micro.empty!) },
    },
    {
      name: 'pre()+post()+baseline update p50',
      value: us(micro.prePostDrain!),
      unit: 'µs',
      baseline: { name: 'empty function', value: us(micro.empty!) },
    },
    {
      name: 'loopback call p50 with monitoring',
      value: mon * 1000,
      unit: 'µs',
      baseline: { name: 'same call without', value: bare * 1000 },
      target: '<= 10% added p50',
      met: added <= 10,
      note: `${added.toFixed(1)}% added`,
    },
  ];
}
