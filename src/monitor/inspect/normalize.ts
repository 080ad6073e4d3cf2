/**
 * Builds the text the injection rules run on: per code point NFKC (fullwidth and other
 * compatibility forms fold to ASCII), zero-width and bidi controls removed, Unicode tag
 * characters decoded to the ASCII they hide. `map[i]` is the offset in the original text of
 * the i-th UTF-16 unit of the normalized text, so findings report spans in the original.
 */
export interface Normalized {
  readonly text: string;
  /** Absent when normalization changed nothing (ASCII input): offsets are the identity. */
  readonly map?: readonly number[];
  /** Spans (original offsets) of runs of decoded tag characters. */
  readonly tagRuns: readonly { start: number; end: number; decoded: string }[];
  /** Original offsets of zero-width characters inside words (obfuscation, not emoji joiners). */
  readonly zeroWidthInWords: number;
  readonly zeroWidthFirst: number;
  /** Count and first offset of bidi override/isolate controls. */
  readonly bidi: number;
  readonly bidiFirst: number;
}

const ZW = new Set([0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff, 0x180e]);
/** Stripped but not counted: the soft hyphen is ordinary in hyphenated web text. */
const SOFT_HYPHEN = 0x00ad;
const BIDI = new Set([0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

// eslint-disable-next-line no-control-regex -- ASCII range check, not matching control characters on purpose
const ASCII_ONLY = /^[\x00-\x7f]*$/;

export function normalizeForScan(src: string): Normalized {
  if (ASCII_ONLY.test(src)) {
    return { text: src, tagRuns: [], zeroWidthInWords: 0, zeroWidthFirst: -1, bidi: 0, bidiFirst: -1 };
  }
  let text = '';
  const map: number[] = [];
  const tagRuns: { start: number; end: number; decoded: string }[] = [];
  let zwIn = 0;
  let zwFirst = -1;
  let bidi = 0;
  let bidiFirst = -1;
  let i = 0;
  let tagRunStart = -10;
  let inRun = false;
  let flagRun = false;
  // eslint-disable-next-line no-control-regex -- the complement of ASCII
  const nonAscii = /[^\x00-\x7f]/g;
  while (i < src.length) {
    nonAscii.lastIndex = i;
    const next = nonAscii.exec(src);
    const stop = next ? next.index : src.length;
    if (stop > i) {
      text += src.slice(i, stop);
      for (let k = i; k < stop; k++) map.push(k);
      i = stop;
      continue;
    }
    const cp = src.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    if (cp >= 0xe0000 && cp <= 0xe007f) {
      const ch = cp >= 0xe0020 && cp <= 0xe007e ? String.fromCharCode(cp - 0xe0000) : '';
      // A run of tag characters right after a black flag (U+1F3F4) is a subdivision flag.
      if (tagRunStart !== i - 2 || !(inRun || flagRun)) {
        inRun = false;
        flagRun = i >= 2 && src.codePointAt(i - 2) === 0x1f3f4;
      }
      if (!flagRun) {
        const last = tagRuns[tagRuns.length - 1];
        if (inRun && last && last.end === i) {
          last.end = i + len;
          last.decoded += ch;
        } else if (tagRuns.length < 16) tagRuns.push({ start: i, end: i + len, decoded: ch });
        inRun = true;
      }
      tagRunStart = i;
      for (let k = 0; k < ch.length; k++) map.push(i);
      text += ch;
    } else if (ZW.has(cp)) {
      if (isWordChar(src.charCodeAt(i - 1)) && isWordChar(src.charCodeAt(i + 1))) {
        zwIn++;
        if (zwFirst < 0) zwFirst = i;
      }
    } else if (cp === SOFT_HYPHEN) {
      // dropped from the scan text
    } else if (BIDI.has(cp)) {
      bidi++;
      if (bidiFirst < 0) bidiFirst = i;
    } else if (cp < 0x80) {
      map.push(i);
      text += src[i];
    } else {
      const n = nfkc(cp);
      for (let k = 0; k < n.length; k++) map.push(i);
      text += n;
    }
    i += len;
  }
  map.push(src.length);
  return { text, map, tagRuns, zeroWidthInWords: zwIn, zeroWidthFirst: zwFirst, bidi, bidiFirst };
}

const NFKC_CACHE = new Map<number, string>();

function nfkc(cp: number): string {
  let n = NFKC_CACHE.get(cp);
  if (n === undefined) {
    n = String.fromCodePoint(cp).normalize('NFKC');
    if (NFKC_CACHE.size < 4096) NFKC_CACHE.set(cp, n);
  }
  return n;
}

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
