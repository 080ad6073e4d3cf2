/** Small numeric helpers: running mean/variance (Welford) and Jensen–Shannon divergence. */

export interface Welford {
  readonly n: number;
  readonly mean: number;
  /** Sum of squared differences from the mean. */
  readonly m2: number;
}

export const EMPTY_WELFORD: Welford = Object.freeze({ n: 0, mean: 0, m2: 0 });

/** Adds one observation (returns a new value; inputs are never mutated). */
export function welfordAdd(w: Welford, x: number): Welford {
  const n = w.n + 1;
  const delta = x - w.mean;
  const mean = w.mean + delta / n;
  return { n, mean, m2: w.m2 + delta * (x - mean) };
}

/** Sample standard deviation (0 with fewer than two observations). */
export function welfordStd(w: Welford): number {
  return w.n < 2 ? 0 : Math.sqrt(w.m2 / (w.n - 1));
}

/** z-score of x against the running distribution, with a floor on the deviation. */
export function zScore(w: Welford, x: number, minStd: number): number {
  return (x - w.mean) / Math.max(welfordStd(w), minStd);
}

/** Jensen–Shannon divergence (base 2, in [0, 1]) of two count maps. */
export function jensenShannon(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): number {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const sa = sum(a);
  const sb = sum(b);
  if (sa === 0 || sb === 0) return 0;
  let js = 0;
  for (const k of keys) {
    const p = (own(a, k) ?? 0) / sa;
    const q = (own(b, k) ?? 0) / sb;
    const m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * Math.log2(p / m);
    if (q > 0) js += 0.5 * q * Math.log2(q / m);
  }
  return Math.min(1, Math.max(0, js));
}

function sum(r: Readonly<Record<string, number>>): number {
  let s = 0;
  for (const v of Object.values(r)) s += v;
  return s;
}

/**
 * The own property `key` of a plain JSON map, or undefined. Keys come from agents (parameter
 * names, values, paths): `constructor`, `valueOf` or `__proto__` must never hit the prototype.
 */
export function own<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/**
 * Increments `key` in a bounded count map. When the map is full, a new key is not added and
 * `overflow` is reported, so memory per agent stays bounded whatever the input.
 */
export function bump(
  map: Record<string, number>,
  key: string,
  cap: number,
): { map: Record<string, number>; overflow: boolean } {
  const v = own(map, key);
  if (v !== undefined) return { map: { ...map, [key]: v + 1 }, overflow: false };
  if (Object.keys(map).length >= cap) return { map, overflow: true };
  return { map: { ...map, [key]: 1 }, overflow: false };
}
