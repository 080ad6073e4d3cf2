/**
 * Per-agent behavioural baselines: pure update functions over plain JSON values, so a baseline
 * can be persisted as-is and replayed deterministically. Every map is capped (limits) so memory
 * per agent stays bounded whatever an agent sends.
 */
import { argFeatures, pathPrefixes } from './args.ts';
import type { ArgFeature } from './args.ts';
import { EMPTY_WELFORD, own, welfordAdd } from './stats.ts';
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
 * Objects of a baseline that the caller created while folding events in and that nobody else
 * holds yet: `observe` updates those in place instead of copying them. Without it every update
 * copies the path it changes, and the input is never modified.
 */
export type Owned = WeakSet<object>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** `x` itself when owned, else a shallow copy (owned from now on). */
function writable<T extends object>(x: T, owned: Owned | undefined): Mutable<T> {
  if (owned?.has(x) === true) return x;
  const c = { ...x } as Mutable<T>;
  owned?.add(c);
  return c;
}

/** A fresh object, owned from now on. */
function fresh<T extends object>(x: T, owned: Owned | undefined): T {
  owned?.add(x);
  return x;
}

/**
 * Sets `key` as an own data property, as an object literal's computed key does: keys come from
 * agents, and an assignment to `__proto__` would reach the prototype setter instead.
 */
function put<V>(map: Record<string, V>, key: string, v: V): void {
  if (key === '__proto__')
    Object.defineProperty(map, key, { value: v, writable: true, enumerable: true, configurable: true });
  else map[key] = v;
}

/**
 * Folds one completed event into the baseline. `prevTool` is the previous tool of the same
 * session (for bigrams). Egress events update egress hosts only. With `owned`, objects in it
 * are updated in place (see `Owned`); the result is the same either way.
 */
export function observe(
  b: AgentBaseline,
  e: MonitorEvent,
  limits: Limits,
  windowMs: number,
  prevTool?: string,
  owned?: Owned,
): AgentBaseline {
  const tools0 = b.tools;
  const entries0 = b.entries;
  const base = writable(b, owned);
  base.lastSeen = Math.max(base.lastSeen, e.time);
  base.events = base.events + 1;
  if (e.method === 'egress') {
    if (e.egressHost)
      base.egressHosts = count(base.egressHosts, e.egressHost.toLowerCase(), limits.maxHosts, owned);
    return base;
  }
  if (e.tool === undefined) return base;
  const key = toolKey(e);
  const prior = own(tools0, key);
  let tools = tools0;
  let toolsOverflow = base.toolsOverflow;
  const budget: Budget = { left: limits.maxEntries - (entries0 ?? 0) };
  if (prior || (Object.keys(tools0).length < limits.maxTools && budget.left > 0)) {
    if (!prior) budget.left--;
    const t = observeTool(prior, e, limits, budget, owned);
    tools = writable(tools0, owned);
    put(tools, key, t);
  } else {
    toolsOverflow = true;
  }
  const bigrams = prevTool
    ? count(base.bigrams, `${prevTool}>${key}`, limits.maxBigrams, owned)
    : base.bigrams;
  base.tools = tools;
  base.toolsOverflow = toolsOverflow;
  base.entries = limits.maxEntries - budget.left;
  base.bigrams = bigrams;
  base.rate = rateInto(base.rate, e.time, windowMs, owned);
  base.days = observeDay(base.days, e.time, key, limits, owned);
  return base;
}

/** What is left of the agent's entry budget while one event is folded in. */
interface Budget {
  left: number;
}

/**
 * Increments `key` in a bounded count map (a copy unless owned); when full, a new key is not
 * added and the map is returned as it is.
 */
function count(
  map: Readonly<Record<string, number>>,
  key: string,
  cap: number,
  owned: Owned | undefined,
): Readonly<Record<string, number>> {
  const v = own(map, key);
  if (v === undefined && Object.keys(map).length >= cap) return map;
  const m = writable(map, owned);
  put(m, key, (v ?? 0) + 1);
  return m;
}

/** Counts `key` like `count`; a new key also needs room in the budget. */
function grow(
  map: Readonly<Record<string, number>>,
  key: string,
  cap: number,
  budget: Budget,
  owned: Owned | undefined,
): { map: Readonly<Record<string, number>>; overflow: boolean } {
  const v = own(map, key);
  if (v === undefined) {
    if (Object.keys(map).length >= cap || budget.left <= 0) return { map, overflow: true };
    budget.left--;
  }
  const m = writable(map, owned);
  put(m, key, (v ?? 0) + 1);
  return { map: m, overflow: false };
}

/** Adds one observation to running stats (in place when owned). */
function welfordInto(w: Welford, x: number, owned: Owned | undefined): Welford {
  if (owned?.has(w) !== true) return fresh(welfordAdd(w, x), owned);
  const m = w as Mutable<Welford>;
  const n = m.n + 1;
  const delta = x - m.mean;
  const mean = m.mean + delta / n;
  m.m2 = m.m2 + delta * (x - mean);
  m.n = n;
  m.mean = mean;
  return m;
}

function observeTool(
  prior: ToolProfile | undefined,
  e: MonitorEvent,
  limits: Limits,
  budget: Budget,
  owned: Owned | undefined,
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
    const next = observeParam(p, f, limits, budget, owned);
    const m = writable(params, owned);
    put(m, f.param, next);
    params = m;
  }
  const ok = e.outcome === 'ok' && typeof e.resultBytes === 'number';
  const resultLogBytes = ok
    ? welfordInto(t.resultLogBytes, Math.log2(1 + e.resultBytes), owned)
    : t.resultLogBytes;
  if (prior === undefined || owned?.has(prior) !== true) {
    return fresh(
      {
        count: t.count + 1,
        firstSeen: t.firstSeen,
        lastSeen: Math.max(t.lastSeen, e.time),
        params,
        resultLogBytes,
      },
      owned,
    );
  }
  const m = prior as Mutable<ToolProfile>;
  m.count = t.count + 1;
  m.lastSeen = Math.max(t.lastSeen, e.time);
  m.params = params;
  m.resultLogBytes = resultLogBytes;
  return m;
}

function observeParam(
  prior: ParamProfile | undefined,
  f: ArgFeature,
  limits: Limits,
  budget: Budget,
  owned: Owned | undefined,
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
    const r = grow(values, f.value, limits.maxValues, budget, owned);
    values = r.map;
    valuesOverflow = r.overflow;
    if (valuesOverflow) budget.left += Object.keys(values).length; // the set is dropped
  }
  let prefixes = p.prefixes;
  if (f.path !== undefined) {
    for (const k of pathPrefixes(f.path, PREFIX_DEPTHS))
      prefixes = grow(prefixes, k, limits.maxPrefixes, budget, owned).map;
  }
  // Once the value set overflowed it stays empty: an empty map already there is kept as it is.
  const keptValues = valuesOverflow ? (Object.keys(values).length === 0 ? values : {}) : values;
  const types = count(p.types, f.type, 8, owned);
  const length = welfordInto(p.length, f.length, owned);
  const hosts = f.host !== undefined ? grow(p.hosts, f.host, limits.maxHosts, budget, owned).map : p.hosts;
  if (prior === undefined || owned?.has(prior) !== true) {
    return fresh(
      {
        n: p.n + 1,
        types,
        length,
        values: keptValues,
        valuesOverflow,
        pathObs: p.pathObs + (f.path !== undefined ? 1 : 0),
        prefixes,
        hostObs: p.hostObs + (f.host !== undefined ? 1 : 0),
        hosts,
      },
      owned,
    );
  }
  const m = prior as Mutable<ParamProfile>;
  m.n = p.n + 1;
  m.types = types;
  m.length = length;
  m.values = keptValues;
  m.valuesOverflow = valuesOverflow;
  if (f.path !== undefined) m.pathObs = p.pathObs + 1;
  m.prefixes = prefixes;
  if (f.host !== undefined) m.hostObs = p.hostObs + 1;
  m.hosts = hosts;
  return m;
}

/** Rolls the per-window call counter; closed non-empty windows feed the running stats. */
export function observeRate(r: AgentBaseline['rate'], time: number, windowMs: number): AgentBaseline['rate'] {
  return rateInto(r, time, windowMs, undefined);
}

function rateInto(
  r: AgentBaseline['rate'],
  time: number,
  windowMs: number,
  owned: Owned | undefined,
): AgentBaseline['rate'] {
  const start = Math.floor(time / windowMs) * windowMs;
  if (start === r.windowStart) {
    const m = writable(r, owned);
    m.windowCount = r.windowCount + 1;
    return m;
  }
  if (start < r.windowStart) return r; // late event: ignore for the rate
  const windows = r.windowCount > 0 ? welfordInto(r.windows, r.windowCount, owned) : r.windows;
  return fresh({ windowStart: start, windowCount: 1, windows }, owned);
}

function observeDay(
  days: AgentBaseline['days'],
  time: number,
  key: string,
  limits: Limits,
  owned: Owned | undefined,
): AgentBaseline['days'] {
  const day = String(Math.floor(time / DAY_MS));
  const today = own(days, day);
  const next = writable(days, owned);
  put(
    next,
    day,
    today === undefined ? fresh({ [key]: 1 }, owned) : count(today, key, limits.maxTools, owned),
  );
  if (today) return next;
  const keys = Object.keys(next).sort((a, b) => Number(a) - Number(b));
  for (const k of keys.slice(0, Math.max(0, keys.length - limits.maxDays))) delete next[k];
  return next;
}
