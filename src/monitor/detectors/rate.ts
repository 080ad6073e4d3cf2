/** Call-rate spike: calls in the current window against the agent's running per-window rate. */
import { welfordStd, zScore } from '../stats.ts';
import type { Detector } from './types.ts';
import { seqs } from './types.ts';

export const rateSpike: Detector = (e, b, s, c) => {
  if (e.method === 'egress' || e.tool === undefined) return null;
  const cfg = c.detectors['rate-spike'];
  const n = s.windowCount;
  const w = b.rate.windows;
  let why: string | null = null;
  if (n >= cfg.absolute) {
    why = `${n} calls in ${cfg.windowMs} ms (absolute ceiling ${cfg.absolute})`;
  } else if (w.n >= cfg.minWindows && n >= cfg.minCount) {
    const z = zScore(w, n, 1);
    if (z >= cfg.z && n >= cfg.ratio * w.mean) {
      why = `${n} calls in ${cfg.windowMs} ms vs mean ${w.mean.toFixed(1)} ± ${welfordStd(w).toFixed(1)} (z=${z.toFixed(1)})`;
    }
  }
  if (why === null) return null;
  return {
    detector: 'rate-spike',
    severity: n >= cfg.absolute ? 'high' : 'medium',
    message: `agent ${e.agent} call-rate spike: ${why}`,
    dedupKey: `rate-spike:${e.agent}:${s.windowStart}`,
    auditSeqs: seqs(e.seq),
  };
};
