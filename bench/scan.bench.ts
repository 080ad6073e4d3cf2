/**
 * Scanner throughput: tool definitions scanned per second over the labelled corpus, against a
 * same-run baseline (JSON.stringify of the same definitions, the cheapest full walk).
 */
import { scanTool } from '../src/scan/index.ts';
import { loadCorpus } from '../test/fixtures/corpus/load.ts';
import type { BenchContext, BenchRow } from './lib.ts';
import { interleave, median } from './lib.ts';

export default async function scanBench(ctx: BenchContext): Promise<BenchRow[]> {
  // Leave out the one deliberately oversized definition so the figure reflects ordinary tools.
  const defs = loadCorpus()
    .map((e) => e.tool)
    .filter((t) => JSON.stringify(t).length < 256 * 1024);
  const rounds = ctx.quick ? 5 : 30;
  ctx.log(`${defs.length} definitions × ${rounds} rounds`);
  let sink = 0;
  const samples = await interleave(
    rounds,
    {
      scan: () => {
        for (const d of defs) sink += scanTool(d).score;
        return Promise.resolve();
      },
      stringify: () => {
        for (const d of defs) sink += JSON.stringify(d).length;
        return Promise.resolve();
      },
    },
    ctx.quick ? 2 : 5,
  );
  if (sink < 0) ctx.log('unreachable');
  const perSec = (ms: number): number => (defs.length / ms) * 1000;
  const scanRate = perSec(median(samples['scan']!));
  const baseRate = perSec(median(samples['stringify']!));
  return [
    {
      name: 'scanTool throughput (corpus definitions)',
      value: scanRate,
      unit: 'defs/s',
      baseline: { name: 'JSON.stringify same defs', value: baseRate },
      target: '>= 1000 defs/s',
      met: scanRate >= 1000,
      note: `scan costs ${(baseRate / scanRate).toFixed(0)}x a JSON.stringify of the same definitions`,
    },
  ];
}
