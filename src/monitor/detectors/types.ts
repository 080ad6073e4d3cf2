import type { AgentBaseline } from '../baseline.ts';
import type { MonitorConfig } from '../schema.ts';
import type { SessionState } from '../session.ts';
import type { Detection, MonitorEvent } from '../types.ts';

/** What a detector reads besides the event and the baseline. */
export interface DetectorState {
  readonly session: SessionState;
  /** Calls by this agent in the current rate window, including this one. */
  readonly windowCount: number;
  readonly windowStart: number;
}

/** A detector is a pure function: same inputs, same answer, no I/O. */
export type Detector = (
  event: MonitorEvent,
  baseline: AgentBaseline,
  state: DetectorState,
  config: MonitorConfig,
) => Detection | null;

export function seqs(...xs: (number | undefined | readonly number[])[]): number[] {
  const out: number[] = [];
  for (const x of xs) {
    if (x === undefined) continue;
    if (typeof x === 'number') out.push(x);
    else out.push(...x);
  }
  return out;
}
