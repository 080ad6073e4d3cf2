/** Output anomaly: a secret or prompt-injection finding in a result, or a result size far outside the profile. */
import { toolKey } from '../baseline.ts';
import { own, zScore } from '../stats.ts';
import type { Detector } from './types.ts';
import { seqs } from './types.ts';

const RANK = { clean: 0, suspicious: 1, malicious: 2 } as const;

export const outputAnomaly: Detector = (e, b, _s, c) => {
  // Findings count whatever the outcome: an MCP tool error (isError) still reaches the model (PI-2).
  if (e.tool === undefined || e.decision === 'deny') return null;
  const cfg = c.detectors['output-anomaly'];
  const key = toolKey(e);
  const f = e.findings;
  if (f?.secrets !== undefined && f.secrets > 0) {
    return {
      detector: 'output-anomaly',
      severity: 'high',
      message: `result of ${key} for agent ${e.agent} contained ${f.secrets} secret finding(s)`,
      dedupKey: `output-anomaly:secret:${e.agent}:${key}:${e.session ?? ''}`,
      auditSeqs: seqs(e.seq),
    };
  }
  if (f?.injection !== undefined && RANK[f.injection] >= RANK[cfg.injection]) {
    const rules = f.injectionRules?.slice(0, 5).join(', ') ?? '';
    return {
      detector: 'output-anomaly',
      severity: f.injection === 'malicious' ? 'high' : 'medium',
      message: `result of ${key} for agent ${e.agent} looks like a prompt injection (${f.injection}${rules ? `: ${rules}` : ''})`,
      dedupKey: `output-anomaly:injection:${e.agent}:${key}:${e.session ?? ''}`,
      auditSeqs: seqs(e.seq),
    };
  }
  const t = own(b.tools, key);
  if (e.outcome !== 'ok' || typeof e.resultBytes !== 'number' || !t || t.resultLogBytes.n < cfg.minSamples)
    return null;
  const z = zScore(t.resultLogBytes, Math.log2(1 + e.resultBytes), 1);
  if (z < cfg.z) return null;
  return {
    detector: 'output-anomaly',
    severity: 'medium',
    message: `result of ${key} for agent ${e.agent} is ${e.resultBytes} bytes, far above its profile (z=${z.toFixed(1)} on log size)`,
    dedupKey: `output-anomaly:size:${e.agent}:${key}`,
    auditSeqs: seqs(e.seq),
  };
};
