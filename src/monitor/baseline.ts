/**
 * Per-agent behavioural baselines: pure update functions over plain JSON values, so a baseline
 * can be persisted as-is and replayed deterministically. Every map is capped (limits) so memory
 * per agent stays bounded whatever an agent sends.
 */
import { argFeatures, pathPrefix } from './args.ts';
import type { ArgFeature } from './args.ts';
import { bump, EMPTY_WELFORD, welfordAdd } from './stats.ts';
import type { Welford } from './stats.ts';
import type { MonitorConfig } from './schema.ts';
import type { MonitorEvent } from './types.ts';

export type Limits = MonitorConfig['limits'];
export const PREFIX_DEPTHS = 4;
export const DAY_MS = 86_400_000;

export interface ParamProfile {
  readonly n: number;
  readonly types: Readonly<Record<string, number>>;
  readonly length: Welford;
  readonly values: Readonly<Record<string, number>>;
  /** True once more distinct values were seen than the cap (not a small value set). */
  readonly valuesOverflow: boolean;
  readonly pathObs: number;
  readonly prefixes: Readonly<Record<string, number>>;
  readonly hostObs: number;
  readonly hosts: Readonly<Record<string, number>>;
}

export interface ToolProfile {
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly params: Readonly<Record<string, ParamProfile>>;
  /** Running stats of log2(1 + result bytes) over successful calls. */
  readonly resultLogBytes: Welford;
}

export interface AgentBaseline {
  readonly version: 1;
  readonly agent: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly events: number;
  readonly tools: Readonly<Record<string, ToolProfile>>;
  readonly toolsOverflow: boolean;
  /** Calls per active window: the current window and running stats of closed windows. */
  readonly rate: { readonly windowStart: number; readonly windowCount: number; readonly windows: Welford };
  readonly egressHosts: Readonly<Record<string, number>>;
  readonly bigrams: Readonly<Record<string, number>>;
  /** Tool counts per UTC day index (only the most recent `maxDays`). */
  readonly days: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** `server/tool`, the key tools are tracked under. */
export function toolKey(e: Pick<MonitorEvent, 'server' | 'tool'>): string {
  return `${e.server ?? '-'}/${e.tool ?? '-'}`;
}

export function emptyBaseline(agent: string, time: number): AgentBaseline {
  return {
    version: 1,
    agent,
    firstSeen: time,
    lastSeen: time,
    events: 0,
    tools: {},
    toolsOverflow: false,
    rate: { windowStart: 0, windowCount: 0, windows: EMPTY_WELFORD },
    egressHosts: {},
    bigrams: {},
    days: {},
  };
}

/** True while the agent is still in its learning period (novelty detectors stay quiet). */
export function isLearning(b: AgentBaseline, learning: MonitorConfig['learning'], now: number): boolean {
  return b.events < learning.minEvents || now - b.firstSeen < learning.minDurationMs;
}

/**
 * Folds one completed event into the baseline. `prevTool` is the previous tool of the same
 * session (for bigrams). Egress events update egress hosts only.
 */
export function observe(
  b: AgentBaseline,
  e: MonitorEvent,
  limits: Limits,
  windowMs: number,
  prevTool?: string,
): AgentBaseline {
  const base = { ...b, lastSeen: Math.max(b.lastSeen, e.time), events: b.events + 1 };
  if (e.method === 'egress') {
    if (!e.egressHost) return base;
    return { ...base, egressHosts: bump(b.egressHosts, e.egressHost.toLowerCase(), limits.maxHosts).map };
  }
  if (e.tool === undefined) return base;
  const key = toolKey(e);
  const prior = b.tools[key];
  let tools = b.tools;
  let toolsOverflow = b.toolsOverflow;
  if (prior || Object.keys(b.tools).length < limits.maxTools) {
    tools = { ...b.tools, [key]: observeTool(prior, e, limits) };
  } else {
    toolsOverflow = true;
  }
  const bigrams = prevTool ? bump(b.bigrams, `${prevTool}>${key}`, limits.maxBigrams).map : b.bigrams;
  return {
    ...base,
    tools,
    toolsOverflow,
    bigrams,
    rate: observeRate(b.rate, e.time, windowMs),
    days: observeDay(b.days, e.time, key, limits),
  };
}

function observeTool(prior: ToolProfile | undefined, e: MonitorEvent, limits: Limits): ToolProfile {
  const t: ToolProfile = prior ?? {
    count: 0,
    firstSeen: e.time,
    lastSeen: e.time,
    params: {},
    resultLogBytes: EMPTY_WELFORD,
  };
  let params = t.params;
  for (const f of argFeatures(e.args)) {
    const p = params[f.param];
    if (!p && Object.keys(params).length >= limits.maxParams) continue;
    params = { ...params, [f.param]: observeParam(p, f, limits) };
  }
  const ok = e.outcome === 'ok' && typeof e.resultBytes === 'number';
  return {
    count: t.count + 1,
    firstSeen: t.firstSeen,
    lastSeen: Math.max(t.lastSeen, e.time),
    params,
    resultLogBytes: ok ? welfordAdd(t.resultLogBytes, Math.log2(1 + e.resultBytes)) : t.resultLogBytes,
  };
}

function observeParam(prior: ParamProfile | undefined, f: ArgFeature, limits: Limits): ParamProfile {
  const p: ParamProfile = prior ?? {
    n: 0,
    types: {},
    length: EMPTY_WELFORD,
    values: {},
    valuesOverflow: false,
    pathObs: 0,
    prefixes: {},
    hostObs: 0,
    hosts: {},
  };
  let values = p.values;
  let valuesOverflow = p.valuesOverflow;
  if (f.value !== undefined && !valuesOverflow) {
    const r = bump(values, f.value, limits.maxValues);
    values = r.map;
    valuesOverflow = r.overflow;
  }
  let prefixes = p.prefixes;
  if (f.path !== undefined) {
    for (let d = 1; d <= PREFIX_DEPTHS; d++)
      prefixes = bump(prefixes, pathPrefix(f.path, d), limits.maxPrefixes).map;
  }
  return {
    n: p.n + 1,
    types: bump(p.types, f.type, 8).map,
    length: welfordAdd(p.length, f.length),
    values: valuesOverflow ? {} : values,
    valuesOverflow,
    pathObs: p.pathObs + (f.path !== undefined ? 1 : 0),
    prefixes,
    hostObs: p.hostObs + (f.host !== undefined ? 1 : 0),
    hosts: f.host !== undefined ? bump(p.hosts, f.host, limits.maxHosts).map : p.hosts,
  };
}

/** Rolls the per-window call counter; closed non-empty windows feed the running stats. */
export function observeRate(r: AgentBaseline['rate'], time: number, windowMs: number): AgentBaseline['rate'] {
  const start = Math.floor(time / windowMs) * windowMs;
  if (start === r.windowStart) return { ...r, windowCount: r.windowCount + 1 };
  if (start < r.windowStart) return r; // late event: ignore for the rate
  const windows = r.windowCount > 0 ? welfordAdd(r.windows, r.windowCount) : r.windows;
  return { windowStart: start, windowCount: 1, windows };
}

function observeDay(
  days: AgentBaseline['days'],
  time: number,
  key: string,
  limits: Limits,
): AgentBaseline['days'] {
  const day = String(Math.floor(time / DAY_MS));
  const today = days[day] ?? {};
  const next: Record<string, Readonly<Record<string, number>>> = {
    ...days,
    [day]: bump(today, key, limits.maxTools).map,
  };
  if (days[day]) return next;
  const keys = Object.keys(next).sort((a, b) => Number(a) - Number(b));
  for (const k of keys.slice(0, Math.max(0, keys.length - limits.maxDays))) delete next[k];
  return next;
}
