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
  const counted = own(b.days, String(day));
  // Both cheap gates first (today's count with this call, days of history); maps only past them.
  let n = 1;
  if (counted) for (const v of Object.values(counted)) n += v;
  if (n < cfg.minDayEvents) return null;
  let days = 0;
  for (let d = day - cfg.historyDays; d < day; d++) if (own(b.days, String(d))) days++;
  if (days < 3) return null;
  const today: Record<string, number> = { ...(counted ?? {}) };
  const key = toolKey(e);
  today[key] = (own(today, key) ?? 0) + 1;
  const history: Record<string, number> = {};
  for (let d = day - cfg.historyDays; d < day; d++) {
    const counts = own(b.days, String(d));
    if (!counts) continue;
    for (const [k, v] of Object.entries(counts)) history[k] = (own(history, k) ?? 0) + v;
  }
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
