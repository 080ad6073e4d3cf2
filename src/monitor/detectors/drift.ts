/**
 * Drift of the tool mix across days (e.g. after a model or prompt change): Jensen–Shannon
 * divergence between today's tool distribution and the previous days'. Checked once today has
 * `minDayEvents`, and only with at least 3 days of history (one alert per agent per day).
 */
import { DAY_MS, toolKey } from '../baseline.ts';
import { jensenShannon, own } from '../stats.ts';
import type { Detector } from './types.ts';
import { seqs } from './types.ts';

export const drift: Detector = (e, b, _s, c) => {
  if (e.tool === undefined || e.method === 'egress') return null;
  const cfg = c.detectors.drift;
  const day = Math.floor(e.time / DAY_MS);
  const today: Record<string, number> = { ...(own(b.days, String(day)) ?? {}) };
  const key = toolKey(e);
  today[key] = (own(today, key) ?? 0) + 1;
  const n = Object.values(today).reduce((x, y) => x + y, 0);
  if (n < cfg.minDayEvents) return null;
  const history: Record<string, number> = {};
  let days = 0;
  for (let d = day - cfg.historyDays; d < day; d++) {
    const counts = own(b.days, String(d));
    if (!counts) continue;
    days++;
    for (const [k, v] of Object.entries(counts)) history[k] = (own(history, k) ?? 0) + v;
  }
  if (days < 3) return null;
  const js = jensenShannon(today, history);
  if (js < cfg.threshold) return null;
  return {
    detector: 'drift',
    severity: 'low',
    message: `agent ${e.agent} tool mix today diverges from the previous ${days} days (JS divergence ${js.toFixed(2)} ≥ ${cfg.threshold})`,
    dedupKey: `drift:${e.agent}:${day}`,
    auditSeqs: seqs(e.seq),
    dedupMs: DAY_MS,
  };
};
