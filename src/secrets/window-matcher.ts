/**
 * A multi-pattern matcher for many long random patterns (the redactor's known values and their
 * encodings): sampled q-grams. The text is hashed in windows of W code units at every S-th
 * position only; each pattern is indexed by the windows at its first S offsets, so any
 * occurrence of a pattern at least W + S - 1 long contains exactly one sampled window, found
 * through a bit set that fits in the CPU cache and verified with `startsWith`.
 *
 * Why not only Aho–Corasick (aho-corasick.ts): with 1,000 secrets (~17,000 encoded forms) over
 * text whose characters all occur in some pattern (base64, hex, JSON), the automaton's hot rows
 * no longer fit in cache and each code unit costs a cache miss. Here a code unit costs one read
 * and one multiply-add, plus one bit-set probe per S units, whatever the number of patterns.
 *
 * Patterns shorter than W + S - 1 go to an Aho–Corasick automaton. No occurrence is lost,
 * overlapping ones included; property tests check it against a naive search.
 */
import { AhoCorasick } from './aho-corasick.ts';

/** Window length and sampling step in code units. */
export const WINDOW = 8;
export const STEP = 8;
/** Shortest pattern the sampled index handles (shorter ones go to Aho–Corasick). */
export const MIN_SAMPLED = WINDOW + STEP - 1;
const BASE = 0x01000193;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const MIX = 0x9e3779b1;

export interface PatternMatcher {
  readonly patternCount: number;
  readonly maxLength: number;
  /** Every occurrence (overlapping ones too); `onMatch` returning true stops the scan. */
  scan(text: string, onMatch: (pattern: number, start: number, end: number) => boolean | void): void;
  test(text: string): boolean;
}

/** The low byte of code unit `i` (a filter key only: every hit is verified on the text). */
function lowByte(s: string, i: number): number {
  return s.charCodeAt(i) & 0xff;
}

/** Two little-endian 32-bit words of low bytes, mixed: the hash of one window. */
function mix(w0: number, w1: number): number {
  return (Math.imul(w0, BASE) ^ Math.imul(w1, MIX)) | 0;
}

function word(s: string, i: number): number {
  return lowByte(s, i) | (lowByte(s, i + 1) << 8) | (lowByte(s, i + 2) << 16) | (lowByte(s, i + 3) << 24);
}

function windowHash(s: string, from: number): number {
  return mix(word(s, from), word(s, from + 4));
}

export class WindowMatcher implements PatternMatcher {
  readonly patternCount: number;
  readonly maxLength: number;
  readonly #patterns: readonly string[];
  readonly #bits: Int32Array;
  readonly #shift: number;
  /** Window hash → `pattern * STEP + offset` of every indexed window with that hash. */
  readonly #byHash = new Map<number, number[]>();
  readonly #short: AhoCorasick | null;
  /** Index in #patterns of each pattern of the short automaton. */
  readonly #shortIds: Int32Array;

  constructor(patterns: readonly string[]) {
    for (const p of patterns) {
      if (typeof p !== 'string' || p.length === 0) throw new TypeError('patterns must be non-empty strings');
    }
    this.#patterns = [...patterns];
    this.patternCount = patterns.length;
    this.maxLength = patterns.reduce((m, p) => Math.max(m, p.length), 0);
    const long = patterns.filter((p) => p.length >= MIN_SAMPLED).length;
    const logBits = Math.min(25, Math.max(16, Math.ceil(Math.log2(Math.max(1, long * STEP) * 16))));
    this.#bits = new Int32Array(2 ** (logBits - 5));
    this.#shift = 32 - logBits;
    const shortIds: number[] = [];
    patterns.forEach((p, i) => {
      if (p.length < MIN_SAMPLED) {
        shortIds.push(i);
        return;
      }
      for (let o = 0; o < STEP; o++) {
        const h = windowHash(p, o);
        const idx = Math.imul(h, MIX) >>> this.#shift;
        this.#bits[idx >>> 5]! |= 1 << (idx & 31);
        const list = this.#byHash.get(h);
        if (list === undefined) this.#byHash.set(h, [i * STEP + o]);
        else list.push(i * STEP + o);
      }
    });
    this.#shortIds = Int32Array.from(shortIds);
    this.#short = shortIds.length > 0 ? new AhoCorasick(shortIds.map((i) => patterns[i]!)) : null;
  }

  scan(text: string, onMatch: (pattern: number, start: number, end: number) => boolean | void): void {
    if (this.#short !== null) {
      let stopped = false;
      const ids = this.#shortIds;
      this.#short.scan(text, (p, s, e) => (stopped = onMatch(ids[p]!, s, e) === true));
      if (stopped) return;
    }
    // Every sampled pattern is at least MIN_SAMPLED long: a shorter text holds none (and needs no buffer).
    if (this.#byHash.size === 0 || text.length < MIN_SAMPLED) return;
    const bits = this.#bits;
    const shift = this.#shift;
    // One byte per code unit (its low byte), read as aligned little-endian words: two loads per
    // sampled window. Buffer.from pads small buffers' offsets to 8, large ones start at 0.
    const bytes = Buffer.from(text, 'latin1');
    if (!LITTLE_ENDIAN || bytes.byteOffset % 4 !== 0) return this.#scanSlow(text, onMatch);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    const lastWord = (bytes.length - WINDOW) >> 2;
    for (let w = 0; w <= lastWord; w += 2) {
      const j = w << 2;
      const h = mix(words[w]!, words[w + 1]!);
      const idx = Math.imul(h, MIX) >>> shift;
      if ((bits[idx >>> 5]! & (1 << (idx & 31))) !== 0 && this.#verify(text, h, j, onMatch)) return;
    }
  }

  /** The same scan without the word view (big-endian hosts, unaligned buffers). */
  #scanSlow(text: string, onMatch: (pattern: number, start: number, end: number) => boolean | void): void {
    const last = text.length - WINDOW;
    for (let j = 0; j <= last; j += STEP) {
      const h = windowHash(text, j);
      const idx = Math.imul(h, MIX) >>> this.#shift;
      if ((this.#bits[idx >>> 5]! & (1 << (idx & 31))) !== 0 && this.#verify(text, h, j, onMatch)) return;
    }
  }

  #verify(
    text: string,
    h: number,
    j: number,
    onMatch: (pattern: number, start: number, end: number) => boolean | void,
  ): boolean {
    const entries = this.#byHash.get(h);
    if (entries === undefined) return false;
    for (const e of entries) {
      const p = (e / STEP) | 0;
      const start = j - (e % STEP);
      const pattern = this.#patterns[p]!;
      if (start >= 0 && text.startsWith(pattern, start) && onMatch(p, start, start + pattern.length) === true)
        return true;
    }
    return false;
  }

  test(text: string): boolean {
    let found = false;
    this.scan(text, () => (found = true));
    return found;
  }
}
