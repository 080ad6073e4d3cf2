/**
 * Benchmark helpers. Every benchmark compares against a baseline measured in the same run
 * (a ratio), because machines here are noisy. A bench module is `bench/<name>.bench.ts`
 * exporting `default async function (ctx: BenchContext): Promise<BenchRow[]>`.
 */
export interface BenchRow {
  /** What was measured, e.g. 'tools/call p50 via warden'. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The same-run baseline this row is compared with, if any. */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** The target, stated as text (e.g. '<= 1 ms over direct'), and whether it was met. */
  readonly target?: string;
  readonly met?: boolean;
  readonly note?: string;
}

export interface BenchContext {
  /** Shortens runs (CI smoke or --quick). */
  readonly quick: boolean;
  log(msg: string): void;
}

/** Percentile of an unsorted sample (nearest-rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Times `fn` `n` times after `warmup` runs; returns per-run milliseconds. */
export async function timeMany(n: number, fn: () => unknown, warmup = Math.min(50, n)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * Interleaves several variants (A, B, C, A, B, C, …) so drift on a noisy machine hits all of
 * them alike; returns per-variant samples in milliseconds.
 */
export async function interleave(
  n: number,
  variants: Record<string, () => Promise<unknown>>,
  warmup = 50,
): Promise<Record<string, number[]>> {
  const names = Object.keys(variants);
  for (let i = 0; i < warmup; i++) for (const k of names) await variants[k]!();
  const out: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (const k of names) {
      const t0 = performance.now();
      await variants[k]!();
      out[k]!.push(performance.now() - t0);
    }
  }
  return out;
}
