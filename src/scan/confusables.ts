/**
 * The UTS #39 confusable mapping (Unicode confusables.txt, "MA" table), loaded lazily from
 * the `unhomoglyph` package, which ships it as JSON (one source code point → its prototype).
 * Data version: Unicode 13.0 (see docs/supply-chain.md for the coverage note).
 */
import { createRequire } from 'node:module';

let table: ReadonlyMap<string, string> | undefined;

/** Source code point → prototype string (one or more code points), per confusables.txt. */
export function confusableTable(): ReadonlyMap<string, string> {
  if (table === undefined) {
    const require = createRequire(import.meta.url);
    const raw = require('unhomoglyph/data.json') as Record<string, string>;
    table = new Map(Object.entries(raw));
  }
  return table;
}

/** Maps each code point through the table (UTS #39 step: NFD, map, NFD), then drops marks. */
export function mapConfusables(s: string): string {
  const t = confusableTable();
  let out = '';
  for (const ch of s.normalize('NFD')) out += t.get(ch) ?? ch;
  return out.normalize('NFD').replace(/\p{Mn}/gu, '');
}

/**
 * Inverse view for test generators and docs: prototype → the code points that map to it.
 * Only prototypes of exactly one code point are included.
 */
export function confusableSources(): ReadonlyMap<string, readonly string[]> {
  const inv = new Map<string, string[]>();
  for (const [src, proto] of confusableTable()) {
    if ([...proto].length !== 1) continue;
    const list = inv.get(proto) ?? [];
    list.push(src);
    inv.set(proto, list);
  }
  return inv;
}
