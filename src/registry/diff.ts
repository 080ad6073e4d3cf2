/**
 * A readable line diff of two tool definitions (for `warden pins diff` / approve): both sides
 * pretty-printed with sorted keys and invisible characters made visible, then an LCS line diff
 * with `-` (old) / `+` (new) / two-space (same) prefixes.
 */
import { normalizeForDisplay } from '../scan/index.ts';

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

/** Pretty JSON with sorted keys; string contents shown with invisible characters visible. */
export function displayJson(v: unknown): string[] {
  if (v === undefined) return [];
  return normalizeForDisplay(JSON.stringify(sortKeys(v), null, 2)).split('\n');
}

const MAX_CELLS = 4_000_000;

export function lineDiff(a: readonly string[], b: readonly string[]): string[] {
  if (a.length * b.length > MAX_CELLS) {
    return [...a.map((l) => `- ${l}`), ...b.map((l) => `+ ${l}`)];
  }
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(`  ${a[i++]}`);
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  while (i < n) out.push(`- ${a[i++]}`);
  while (j < m) out.push(`+ ${b[j++]}`);
  return out;
}

/** Header with both hashes, then the diff of the pinned views. */
export function definitionDiff(
  label: string,
  oldHash: string | null,
  oldDef: unknown,
  newHash: string,
  newDef: unknown,
): string {
  const head = [`--- ${label} approved ${oldHash ?? '(none)'}`, `+++ ${label} current  ${newHash}`];
  return [...head, ...lineDiff(displayJson(oldDef), displayJson(newDef))].join('\n') + '\n';
}
