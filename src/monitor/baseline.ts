/**
 * Per-agent behavioural baselines: pure update functions over plain JSON values, so a baseline
 * can be persisted as-is and replayed deterministically. Every map is capped (limits) so memory
 * per agent stays bounded whatever an agent sends.
 */
import { argFeatures, pathPrefixes } from './args.ts';
import type { ArgFeature } from './args.ts';
import { bump, EMPTY_WELFORD, own, welfordAdd } from './stats.ts';
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
  /** Keys held in tool, parameter, value, prefix and host maps (bounded by `limits.maxEntries`). */
  readonly entries: number;
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
    entries: 0,
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
  const prior = own(b.tools, key);
  let tools = b.tools;
  let toolsOverflow = b.toolsOverflow;
  const budget: Budget = { left: limits.maxEntries - (b.entries ?? 0) };
  if (prior || (Object.keys(b.tools).length < limits.maxTools && budget.left > 0)) {
    if (!prior) budget.left--;
    tools = { ...b.tools, [key]: observeTool(prior, e, limits, budget) };
  } else {
    toolsOverflow = true;
  }
  const bigrams = prevTool ? bump(b.bigrams, `${prevTool}>${key}`, limits.maxBigrams).map : b.bigrams;
  return {
    ...base,
    tools,
    toolsOverflow,
    entries: limits.maxEntries - budget.left,
    bigrams,
    rate: observeRate(b.rate, e.time, windowMs),
    days: observeDay(b.days, e.time, key, limits),
  };
}

/** What is left of the agent's entry budget while one event is folded in. */
interface Budget {
  left: number;
}

/** Counts `key` in a copy of `map`; a new key needs room under `cap` and in the budget. */
function grow(
  map: Readonly<Record<string, number>>,
  key: string,
  cap: number,
  budget: Budget,
): { map: Readonly<Record<string, number>>; overflow: boolean } {
  const v = own(map, key);
  if (v !== undefined) return { map: { ...map, [key]: v + 1 }, overflow: false };
  if (Object.keys(map).length >= cap || budget.left <= 0) return { map, overflow: true };
  budget.left--;
  return { map: { ...map, [key]: 1 }, overflow: false };
}

function observeTool(
  prior: ToolProfile | undefined,
  e: MonitorEvent,
  limits: Limits,
  budget: Budget,
): ToolProfile {
  const t: ToolProfile = prior ?? {
    count: 0,
    firstSeen: e.time,
    lastSeen: e.time,
    params: {},
    resultLogBytes: EMPTY_WELFORD,
  };
  let params = t.params;
  for (const f of argFeatures(e.args)) {
    const p = own(params, f.param);
    if (!p && (Object.keys(params).length >= limits.maxParams || budget.left <= 0)) continue;
    if (!p) budget.left--;
    params = { ...params, [f.param]: observeParam(p, f, limits, budget) };
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

function observeParam(
  prior: ParamProfile | undefined,
  f: ArgFeature,
  limits: Limits,
  budget: Budget,
): ParamProfile {
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
    const r = grow(values, f.value, limits.maxValues, budget);
    values = r.map;
    valuesOverflow = r.overflow;
    if (valuesOverflow) budget.left += Object.keys(values).length; // the set is dropped
  }
  let prefixes = p.prefixes;
  if (f.path !== undefined) {
    for (const k of pathPrefixes(f.path, PREFIX_DEPTHS))
      prefixes = grow(prefixes, k, limits.maxPrefixes, budget).map;
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
    hosts: f.host !== undefined ? grow(p.hosts, f.host, limits.maxHosts, budget).map : p.hosts,
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
  const today = own(days, day) ?? {};
  const next: Record<string, Readonly<Record<string, number>>> = {
    ...days,
    [day]: bump(today, key, limits.maxTools).map,
  };
  if (own(days, day)) return next;
  const keys = Object.keys(next).sort((a, b) => Number(a) - Number(b));
  for (const k of keys.slice(0, Math.max(0, keys.length - limits.maxDays))) delete next[k];
  return next;
}
