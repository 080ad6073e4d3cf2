/**
 * `npm run bench:scan`: runs the scanner over the labelled corpus (test/fixtures/corpus) and
 * prints precision, recall, F1 and a confusion matrix per split (dev = tuned on, holdout = not).
 * Positive = verdict is not `clean` ("flagged"); a second table counts only `malicious`.
 * Flags: --verbose lists every misclassified tool with its findings; --json prints the metrics.
 */
import { scanTool } from '../src/scan/index.ts';
import type { ToolScanResult } from '../src/scan/index.ts';
import { loadCorpus } from '../test/fixtures/corpus/load.ts';
import type { CorpusEntry } from '../test/fixtures/corpus/load.ts';

interface Row {
  readonly entry: CorpusEntry;
  readonly result: ToolScanResult;
}

interface Metrics {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

function metrics(rows: readonly Row[], positive: (r: ToolScanResult) => boolean): Metrics {
  let tp = 0,
    fp = 0,
    tn = 0,
    fn = 0;
  for (const { entry, result } of rows) {
    const p = positive(result);
    if (entry.label === 'malicious') {
      if (p) tp++;
      else fn++;
    } else if (p) fp++;
    else tn++;
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, tn, fn, precision, recall, f1 };
}

const verbose = process.argv.includes('--verbose');
const asJson = process.argv.includes('--json');
const rows: Row[] = loadCorpus().map((entry) => ({ entry, result: scanTool(entry.tool) }));
const flagged = (r: ToolScanResult): boolean => r.verdict !== 'clean';
const malicious = (r: ToolScanResult): boolean => r.verdict === 'malicious';
const report: Record<string, Record<string, Metrics>> = {};
for (const split of ['dev', 'holdout', 'all'] as const) {
  const sel = rows.filter((r) => split === 'all' || r.entry.split === split);
  report[split] = { flagged: metrics(sel, flagged), malicious: metrics(sel, malicious) };
}
const realServers = rows.filter((r) => r.entry.file.startsWith('real-servers/'));
const realNotClean = realServers.filter((r) => r.result.verdict !== 'clean');

if (asJson) {
  console.log(
    JSON.stringify(
      { report, realServers: { total: realServers.length, notClean: realNotClean.length } },
      null,
      2,
    ),
  );
} else {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  console.log(
    `corpus: ${rows.length} tools (${rows.filter((r) => r.entry.label === 'malicious').length} malicious, ${rows.filter((r) => r.entry.label === 'benign').length} benign)`,
  );
  for (const [split, m] of Object.entries(report)) {
    for (const [mode, x] of Object.entries(m)) {
      console.log(
        `${split.padEnd(8)} positive=${mode.padEnd(9)} precision ${pct(x.precision).padStart(6)}  recall ${pct(x.recall).padStart(6)}  F1 ${pct(x.f1).padStart(6)}   TP ${x.tp} FP ${x.fp} TN ${x.tn} FN ${x.fn}`,
      );
    }
  }
  console.log('\nconfusion matrix (all splits): rows = label, columns = verdict');
  console.log('              clean  suspicious  malicious');
  for (const label of ['benign', 'malicious'] as const) {
    const sel = rows.filter((r) => r.entry.label === label);
    const c = (v: string): string => String(sel.filter((r) => r.result.verdict === v).length).padStart(5);
    console.log(`${label.padEnd(12)} ${c('clean')}  ${c('suspicious')}      ${c('malicious')}`);
  }
  console.log(`\nreal npm servers: ${realServers.length} tools, ${realNotClean.length} not clean`);
  const wrong = rows.filter((r) => (r.entry.label === 'malicious') !== flagged(r.result));
  if (wrong.length > 0) console.log(`\nmisclassified (${wrong.length}):`);
  for (const r of wrong) {
    console.log(
      `  [${r.entry.split}] ${r.entry.label} → ${r.result.verdict} (score ${r.result.score}) ${r.entry.file} ${JSON.stringify(r.result.name)} — ${r.entry.source}`,
    );
    if (verbose)
      for (const f of r.result.findings)
        console.log(`      ${f.severity} ${f.ruleId} @${f.pointer}: ${f.excerpt}`);
  }
}
process.exitCode = realNotClean.length > 0 ? 1 : 0;
