/**
 * Redaction throughput (MB/s of UTF-8 input) for the known-value matcher with 10, 1,000 and
 * 10,000 secrets, for the pattern rules, and for both, against a plain copy of the same bytes
 * measured in the same run (interleaved). Target: >= 200 MB/s with 1,000 known secrets.
 */
import { randomBytes } from 'node:crypto';
import { createRedactor } from '../src/secrets/index.ts';
import type { KnownSecret } from '../src/secrets/index.ts';
import type { BenchContext, BenchRow } from './lib.ts';
import { interleave, median } from './lib.ts';

function secrets(n: number): KnownSecret[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `S${i}`,
    value: randomBytes(24).toString('base64url'),
  }));
}

/** Log lines, JSON tool results, hex ids and base64 blobs, with a few secrets inside. */
function corpus(bytes: number, plant: readonly KnownSecret[]): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line =
      i % 4 === 0
        ? `2026-11-24T00:00:00Z INFO request id=${randomBytes(8).toString('hex')} path=/v1/items?q=abc status=200\n`
        : i % 4 === 1
          ? `${JSON.stringify({ content: [{ type: 'text', text: `row ${i}: the quick brown fox` }], isError: false })}\n`
          : i % 4 === 2
            ? `blob ${randomBytes(48).toString('base64')}\n`
            : `user alice@example.test ran tool search_issues with {"query":"label:bug","limit":${i % 50}}\n`;
    lines.push(i % 5000 === 4999 && plant.length > 0 ? `token ${plant[i % plant.length]!.value}\n` : line);
    size += line.length;
  }
  return lines.join('');
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const bytes = ctx.quick ? 1_000_000 : 4_000_000;
  const runs = ctx.quick ? 5 : 15;
  const rows: BenchRow[] = [];
  const sets = { 10: secrets(10), 1000: secrets(1000), 10000: secrets(10_000) };
  const builds: Record<string, ReturnType<typeof createRedactor>> = {};
  for (const [n, values] of Object.entries(sets)) {
    const t0 = performance.now();
    builds[n] = createRedactor({ values });
    rows.push({
      name: `redactor build, ${Number(n).toLocaleString('en')} known secrets`,
      value: performance.now() - t0,
      unit: 'ms',
    });
  }
  const patternsOnly = createRedactor({ values: [], patterns: true });
  const both = createRedactor({ values: sets[1000], patterns: true });
  const text = corpus(bytes, sets[1000]);
  const mb = Buffer.byteLength(text, 'utf8') / 1e6;
  ctx.log(`corpus ${mb.toFixed(1)} MB, ${runs} interleaved runs`);
  const variants: Record<string, () => Promise<unknown>> = {
    copy: () => Promise.resolve(Buffer.from(text, 'utf8').toString('utf8')),
    k10: () => Promise.resolve(builds['10']!.redact(text)),
    k1000: () => Promise.resolve(builds['1000']!.redact(text)),
    k10000: () => Promise.resolve(builds['10000']!.redact(text)),
    patterns: () => Promise.resolve(patternsOnly.redact(text)),
    both: () => Promise.resolve(both.redact(text)),
  };
  const samples = await interleave(runs, variants, 2);
  const rate = (k: string): number => mb / (median(samples[k]!) / 1000);
  const baseline = { name: 'plain copy (Buffer.from + toString)', value: rate('copy') };
  rows.push({ name: baseline.name, value: baseline.value, unit: 'MB/s' });
  const label: Record<string, string> = {
    k10: 'redact, 10 known secrets',
    k1000: 'redact, 1,000 known secrets',
    k10000: 'redact, 10,000 known secrets',
    patterns: 'redact, pattern rules only',
    both: 'redact, 1,000 known secrets + pattern rules',
  };
  for (const k of Object.keys(label)) {
    const value = rate(k);
    rows.push({
      name: label[k]!,
      value,
      unit: 'MB/s',
      baseline,
      ...(k === 'k1000' ? { target: '>= 200 MB/s', met: value >= 200 } : {}),
      note: `${((100 * value) / baseline.value).toFixed(0)}% of plain copy`,
    });
  }
  return rows;
}
