/**
 * `npm run bench:detect`: replays the recorded sessions (test/fixtures/monitor/sessions) through
 * the monitor and prints recall per detector, the false-positive rate on benign sessions and time
 * to alert; then scores the content injection detector on the labelled corpus (dev and held-out).
 * `--json` prints the summary as JSON. Exits non-zero when G-ANOM-1's targets are missed.
 */
import { readFileSync } from 'node:fs';
import { inspectContent } from '../src/monitor/index.ts';
import {
  noveltyExposure,
  REPLAY_CONFIG,
  replay,
  summarize,
} from '../test/fixtures/monitor/sessions/replay.ts';
import type { Summary } from '../test/fixtures/monitor/sessions/replay.ts';

const json = process.argv.includes('--json');
const t0 = performance.now();
const main = summarize(replay());
const strict = summarize(
  replay({
    ...REPLAY_CONFIG,
    detectors: {
      ...REPLAY_CONFIG.detectors,
      'toxic-flow': { ...REPLAY_CONFIG.detectors?.['toxic-flow'], strict: true },
    },
  }),
);
const replayMs = performance.now() - t0;
const novelty = noveltyExposure();

type Doc = { id: string; split: string; kind: string; text: string };
const load = (f: string): Doc[] =>
  readFileSync(new URL(`../test/fixtures/monitor/corpus/${f}`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Doc);
const benign = load('benign.jsonl');
const attacks = load('attacks.jsonl');
const corpus = (['dev', 'heldout'] as const).map((split) => {
  const b = benign.filter((d) => d.split === split);
  const a = attacks.filter((d) => d.split === split);
  const fp = b.filter((d) => inspectContent(d.text).verdict !== 'clean').length;
  const tp = a.filter((d) => inspectContent(d.text).verdict !== 'clean').length;
  const mal = a.filter((d) => inspectContent(d.text).verdict === 'malicious').length;
  return {
    split,
    benign: b.length,
    attacks: a.length,
    fp,
    tp,
    malicious: mal,
    recall: tp / a.length,
    fpRate: fp / b.length,
    precision: tp / (tp + fp),
  };
});

if (json) {
  process.stdout.write(
    JSON.stringify({ replay: main, replayStrictToxicFlow: strict, novelty, corpus, replayMs }, null, 2) +
      '\n',
  );
} else {
  console.log(
    `benign test week: ${novelty.withNovelty}/${novelty.sessions} sessions contain legitimate novelty (never seen before by that agent): ${Object.entries(
      novelty.byKind,
    )
      .map(([k, v]) => `${v} new ${k}`)
      .join(', ')}`,
  );
  print('default config', main);
  print('toxic-flow strict (any sensitive call after untrusted content)', strict);
  console.log('\ncontent injection detector (labelled corpus; rules were written against dev only)');
  console.log('split    benign  FP  FP%    attacks  detected  recall  precision  malicious');
  for (const c of corpus) {
    console.log(
      `${c.split.padEnd(8)} ${String(c.benign).padStart(6)}  ${String(c.fp).padStart(2)}  ${(100 * c.fpRate).toFixed(1).padStart(4)}%  ${String(c.attacks).padStart(7)}  ${String(c.tp).padStart(8)}  ${(100 * c.recall).toFixed(1).padStart(5)}%  ${(100 * c.precision).toFixed(1).padStart(8)}%  ${String(c.malicious).padStart(9)}`,
    );
  }
  console.log(`\nreplay time ${(replayMs / 1000).toFixed(1)} s`);
}
const met = main.recall >= 0.9 && main.fpRate <= 0.01;
if (!json)
  console.log(`G-ANOM-1 target (recall ≥ 90% at FP ≤ 1% of benign sessions): ${met ? 'met' : 'NOT met'}`);
process.exit(met ? 0 : 1);

function print(title: string, s: Summary): void {
  console.log(`\n== ${title}`);
  console.log(
    `benign sessions ${s.benignSessions}, with any alert ${s.benignWithAlerts} → FP rate ${(100 * s.fpRate).toFixed(2)}%`,
  );
  console.log(
    `attack sessions ${s.attackSessions}, detected ${s.detected} → recall ${(100 * s.recall).toFixed(1)}%`,
  );
  console.log(
    `time to alert from the first anomalous action: median ${s.timeToAlert.medianEvents} events / ${s.timeToAlert.medianSeconds} s, p90 ${s.timeToAlert.p90Events} events / ${s.timeToAlert.p90Seconds} s, max ${s.timeToAlert.max} s (simulated)`,
  );
  console.log('detector         expected  hit  recall   benign sessions alerted');
  for (const [d, v] of Object.entries(s.perDetector).sort()) {
    console.log(
      `${d.padEnd(16)} ${String(v.expected).padStart(8)}  ${String(v.hit).padStart(3)}  ${Number.isNaN(v.recall) ? '   -  ' : (100 * v.recall).toFixed(1).padStart(5) + '%'}   ${v.benignSessionsAlerted}`,
    );
  }
  console.log('threat   sessions detected');
  for (const [t, v] of Object.entries(s.perThreat).sort())
    console.log(`${t.padEnd(8)} ${String(v.sessions).padStart(8)} ${String(v.detected).padStart(8)}`);
  for (const m of s.misses) console.log(`  missed ${m.id} ${m.threat ?? ''}: ${m.category ?? ''}`);
  for (const f of s.fpDetails.slice(0, 10))
    console.log(`  false positive ${f.id} [${f.detectors.join(',')}]: ${f.message.slice(0, 140)}`);
}
