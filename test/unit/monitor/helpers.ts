import { parseMonitorConfig } from '../../../src/monitor/index.ts';
import type { MonitorConfig, MonitorConfigInput, MonitorEvent } from '../../../src/monitor/index.ts';

export const T0 = Date.UTC(2026, 0, 5);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function config(over: MonitorConfigInput = {}): MonitorConfig {
  return parseMonitorConfig({ learning: { minEvents: 20, minDurationMs: DAY }, ...over });
}

let seq = 0;
export function call(
  tool: string,
  args: Record<string, unknown>,
  time: number,
  more: Partial<MonitorEvent> = {},
): MonitorEvent {
  return {
    seq: ++seq,
    time,
    agent: 'agent-a',
    session: 's1',
    method: 'tools/call',
    server: 'fs',
    tool,
    args,
    decision: 'allow',
    outcome: 'ok',
    resultBytes: 400,
    ...more,
  };
}

/** A week of history: read_file and list_dir under /work/repo, a few calls an hour. */
export function weekOfHistory(): MonitorEvent[] {
  const out: MonitorEvent[] = [];
  for (let h = 0; h < 7 * 24; h += 2) {
    const t = T0 + h * HOUR;
    out.push(call('read_file', { path: `/work/repo/src/f${h % 13}.ts` }, t));
    out.push(call('list_dir', { path: '/work/repo/src' }, t + 60_000));
    out.push(call('read_file', { path: `/work/repo/docs/d${h % 5}.md` }, t + 120_000));
  }
  return out;
}
