import type { DetectorName } from '../types.ts';
import type { Detector } from './types.ts';
import { firstTool, newEgress, outOfScope } from './novelty.ts';
import { rateSpike } from './rate.ts';
import { outputAnomaly } from './output.ts';
import { toxicFlow } from './flow.ts';
import { drift } from './drift.ts';

/** Detectors run before forwarding (cheap, synchronous) and after completion. */
export const PRE_DETECTORS: readonly (readonly [DetectorName, Detector])[] = [
  ['toxic-flow', toxicFlow],
  ['out-of-scope', outOfScope],
  ['first-tool', firstTool],
  ['new-egress', newEgress],
  ['rate-spike', rateSpike],
];
export const POST_DETECTORS: readonly (readonly [DetectorName, Detector])[] = [
  ['output-anomaly', outputAnomaly],
  ['drift', drift],
];

export { firstTool, newEgress, outOfScope, rateSpike, outputAnomaly, toxicFlow, drift };
export { hostMatches, outOfGrant, underPath } from './novelty.ts';
export { isSensitiveTool, globMatch } from './flow.ts';
export type { Detector, DetectorState } from './types.ts';
