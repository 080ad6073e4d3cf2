/**
 * A multi-pattern matcher for long patterns that reads only a sample of the text: every
 * `stride`-th q-gram, looked up in a hash table of the q-grams near the start of each pattern.
 * Secrets and their encodings are long (at least 8 code units, most 32 or more), so most of the
 * text is never touched; this is what makes redaction keep up with tool output when thousands
 * of secrets are known (Aho–Corasick, which must read every code unit, stays for short ones).
 *
 * Why nothing is missed: let `m` be the shortest pattern length of a group, `q` the q-gram
 * length and the stride `k <= m - q + 1`. An occurrence of pattern P at start s has q-grams
 * ending at s+q-1 … s+q+k-2 (all inside P): k consecutive end positions, so exactly one of them
 * is a sampled position j (j ≡ k-1 mod k). The table holds, for every pattern, each q-gram
 * ending at offset o in [q-1, q+k-2] as (P, o); at j the scan finds (P, j-s) and verifies P at
 * s in full.
 * Every occurrence is therefore reported exactly once (one sampled j per occurrence, one entry
 * per (P, o)), overlapping ones included. Hash collisions only cost a verification.
 *
 * Patterns are grouped by length (powers of two), each group with its own stride, so a few
 * short secrets do not slow the scan for the long ones.
 */

interface Group {
  readonly q: number;
  readonly stride: number;
  readonly mask: number;
  /**
   * One bit per filter cell, set for every q-gram hash in the table: small enough to stay in
   * the CPU cache, so most sampled positions cost no table probe (a cache miss) at all.
   */
  readonly filter: Int32Array;
  readonly filterMask: number;
  /** Open-addressed, interleaved [hash, first entry + 1] (0 = empty slot). */
  readonly slots: Int32Array;
  /** Entries chained per slot. */
  readonly next: Int32Array;
  readonly entryPattern: Int32Array;
  readonly entryOffset: Int32Array;
}

/** Shortest pattern this matcher takes; shorter ones belong to Aho–Corasick. */
export const SAMPLED_MIN_LENGTH = 8;

/** Longest stride: bounds the table at 64 entries per pattern whatever its length. */
const MAX_STRIDE = 64;

function qFor(m: number): number {
  return Math.max(4, Math.min(8, m >> 2));
}

function hashAt(text: string, end: number, q: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = end - q + 1; i <= end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h ^ (h >>> 15);
}

export class SampledMatcher {
  readonly patternCount: number;
  readonly maxLength: number;
  readonly #patterns: readonly string[];
  readonly #groups: readonly Group[];

  constructor(patterns: readonly string[]) {
    for (const p of patterns) {
      if (typeof p !== 'string' || p.length < SAMPLED_MIN_LENGTH) {
        throw new RangeError(`SampledMatcher takes patterns of at least ${SAMPLED_MIN_LENGTH} code units`);
      }
    }
    this.#patterns = [...patterns];
    this.patternCount = patterns.length;
    this.maxLength = patterns.reduce((m, p) => Math.max(m, p.length), 0);
    const byBucket = new Map<number, number[]>();
    patterns.forEach((p, i) => {
      const b = 31 - Math.clz32(p.length);
      const list = byBucket.get(b);
      if (list === undefined) byBucket.set(b, [i]);
      else list.push(i);
    });
    this.#groups = [...byBucket.values()].map((ids) => this.#build(ids));
  }

  #build(ids: readonly number[]): Group {
    const m = ids.reduce((min, i) => Math.min(min, this.#patterns[i]!.length), Infinity);
    const q = qFor(m);
    const stride = Math.min(m - q + 1, MAX_STRIDE);
    const entries = ids.length * stride;
    let size = 1;
    while (size < entries * 2) size <<= 1;
    let bits = 1 << 15;
    while (bits < entries * 8 && bits < 1 << 23) bits <<= 1;
    const g: Group = {
      q,
      stride,
      mask: size - 1,
      filter: new Int32Array(bits >>> 5),
      filterMask: bits - 1,
      slots: new Int32Array(size * 2),
      next: new Int32Array(entries),
      entryPattern: new Int32Array(entries),
      entryOffset: new Int32Array(entries),
    };
    let e = 0;
    for (const id of ids) {
      const p = this.#patterns[id]!;
      for (let o = q - 1; o < q - 1 + stride; o++) {
        const h = hashAt(p, o, q);
        const f = h & g.filterMask;
        g.filter[f >>> 5]! |= 1 << (f & 31);
        let s = h & g.mask;
        while (g.slots[2 * s + 1] !== 0 && g.slots[2 * s] !== h) s = (s + 1) & g.mask;
        g.slots[2 * s] = h;
        g.entryPattern[e] = id;
        g.entryOffset[e] = o;
        g.next[e] = g.slots[2 * s + 1]! - 1;
        g.slots[2 * s + 1] = e + 1;
        e++;
      }
    }
    return g;
  }

  /**
   * Every occurrence of every pattern in `text` (overlapping ones included), group by group in
   * text order within a group. `onMatch` returning true stops the scan early.
   */
  scan(text: string, onMatch: (pattern: number, start: number, end: number) => boolean | void): void {
    for (const g of this.#groups) if (this.#scanGroup(g, text, onMatch)) return;
  }

  #scanGroup(
    g: Group,
    text: string,
    onMatch: (pattern: number, start: number, end: number) => boolean | void,
  ): boolean {
    const n = text.length;
    const { q, stride, mask, slots, filter, filterMask } = g;
    for (let j = stride - 1; j < n; j += stride) {
      // hashAt(text, j, q), inlined: this loop is the whole cost of a scan
      let h = 0x811c9dc5 | 0;
      for (let i = j - q + 1; i <= j; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
      h ^= h >>> 15;
      const f = h & filterMask;
      if ((filter[f >>> 5]! & (1 << (f & 31))) === 0) continue;
      let s = h & mask;
      for (let head = slots[2 * s + 1]!; head !== 0; head = slots[2 * (s = (s + 1) & mask) + 1]!) {
        if (slots[2 * s] === h) {
          if (this.#verify(g, head - 1, j, text, onMatch)) return true;
          break;
        }
      }
    }
    return false;
  }

  /** Checks the patterns chained from entry `first` whose q-gram ends at j. */
  #verify(
    g: Group,
    first: number,
    j: number,
    text: string,
    onMatch: (pattern: number, start: number, end: number) => boolean | void,
  ): boolean {
    for (let e = first; e >= 0; e = g.next[e]!) {
      const start = j - g.entryOffset[e]!;
      const id = g.entryPattern[e]!;
      const p = this.#patterns[id]!;
      if (start >= 0 && text.startsWith(p, start) && onMatch(id, start, start + p.length) === true)
        return true;
    }
    return false;
  }

  /** Whether any pattern occurs in `text`. */
  test(text: string): boolean {
    let found = false;
    this.scan(text, () => (found = true));
    return found;
  }
}
