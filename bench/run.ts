/**
 * `npm run bench [-- name…] [-- --quick]`: runs bench/<name>.bench.ts modules, prints one
 * table, and writes bench/results/<name>.json (plus all.json) with the rows and the machine.
 */
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus, totalmem } from 'node:os';
import type { BenchContext, BenchRow } from './lib.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.WARDEN_BENCH_QUICK === '1';
const only = args.filter((a) => !a.startsWith('--'));
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

const machine = {
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memGiB: Math.round(totalmem() / 2 ** 30),
};
mkdirSync(join(here, 'results'), { recursive: true });
const all: Record<string, BenchRow[] | { error: string }> = {};
const ctx: BenchContext = { quick, log: (m) => process.stderr.write(`  ${m}\n`) };

for (const name of modules) {
  process.stderr.write(`bench ${name}…\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as {
      default: (c: BenchContext) => Promise<BenchRow[]>;
    };
    const rows = await mod.default(ctx);
    all[name] = rows;
    writeFileSync(
      join(here, 'results', `${name}.json`),
      JSON.stringify({ machine, quick, rows }, null, 2) + '\n',
    );
  } catch (e) {
    all[name] = { error: (e as Error).stack ?? String(e) };
    process.stderr.write(`bench ${name} failed: ${(e as Error).stack ?? String(e)}\n`);
  }
}
writeFileSync(
  join(here, 'results', 'all.json'),
  JSON.stringify({ machine, quick, results: all }, null, 2) + '\n',
);

const fmt = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
const lines: string[][] = [['bench', 'measure', 'value', 'baseline', 'target', 'met']];
for (const [name, rows] of Object.entries(all)) {
  if (!Array.isArray(rows)) {
    lines.push([name, 'ERROR', '-', '-', '-', 'no']);
    continue;
  }
  for (const r of rows) {
    lines.push([
      name,
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      r.baseline ? `${fmt(r.baseline.value)} ${r.unit} (${r.baseline.name})` : '',
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    ]);
  }
}
const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i]!)).join('  '));
const failed = Object.values(all).some((r) => !Array.isArray(r));
process.exit(failed ? 1 : 0);
