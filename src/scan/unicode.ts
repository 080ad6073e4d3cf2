/**
 * Invisible and deceptive code points, and a display form that makes them visible (TP-3).
 *
 * "Invisible" here means: Unicode tag characters (U+E0000–E007F, "ASCII smuggling"),
 * zero-width characters, bidi embedding/override/isolate controls and marks, variation
 * selectors, the soft hyphen and other default-ignorable format characters.
 */

/** One class per code point; `null` when the code point is ordinary. */
export type InvisibleKind = 'tag' | 'zero-width' | 'bidi' | 'variation-selector' | 'format';

export function invisibleKind(cp: number): InvisibleKind | null {
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'tag';
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0x2060 || cp === 0xfeff) {
    return 'zero-width';
  }
  if (cp === 0x200e || cp === 0x200f || cp === 0x061c) return 'bidi';
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return 'bidi';
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return 'variation-selector';
  if (cp === 0x00ad || cp === 0x034f || cp === 0x180e || (cp >= 0x2061 && cp <= 0x2064)) return 'format';
  if (cp === 0x115f || cp === 0x1160 || cp === 0x3164 || cp === 0xffa0) return 'format';
  if (cp >= 0x1bca0 && cp <= 0x1bca3) return 'format';
  if (cp >= 0xfff9 && cp <= 0xfffb) return 'format';
  return null;
}

/** Matches any code point that `invisibleKind` classifies (built from escapes, not literals). */
export const INVISIBLE_RE = new RegExp(
  // eslint-disable-next-line no-misleading-character-class -- matches single invisible code points on purpose
  '[\\u{E0000}-\\u{E007F}\\u200B-\\u200F\\u2060-\\u2064\\uFEFF\\u061C\\u202A-\\u202E' +
    '\\u2066-\\u2069\\uFE00-\\uFE0F\\u{E0100}-\\u{E01EF}\\u00AD\\u034F\\u180E\\u115F\\u1160' +
    '\\u3164\\uFFA0\\u{1BCA0}-\\u{1BCA3}\\uFFF9-\\uFFFB]',
  'u',
);
// eslint-disable-next-line no-misleading-character-class -- same class as above
const INVISIBLE_RE_G = new RegExp(INVISIBLE_RE.source, 'gu');

/** Removes every invisible code point. */
export function stripInvisible(s: string): string {
  return s.replace(INVISIBLE_RE_G, '');
}

/** True if `s` contains any invisible code point. */
export function hasInvisible(s: string): boolean {
  return INVISIBLE_RE.test(s);
}

/**
 * Decodes Unicode tag characters (U+E0020–E007E mirror printable ASCII) into the hidden
 * ASCII text they carry, or '' when there are none.
 */
export function decodeTagText(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCharCode(cp - 0xe0000);
  }
  return out;
}

function hex(cp: number): string {
  return cp.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * A form of `s` safe to show to a person: every invisible, control or bidi code point becomes
 * a visible marker (`⟨U+200B⟩`); a run of Unicode tag characters is shown as the ASCII it
 * hides (`⟨TAG:ignore previous…⟩`); newlines and tabs are kept. The result contains no
 * invisible code point and no C0/C1 control other than `\n` and `\t`.
 */
export function normalizeForDisplay(s: string): string {
  let out = '';
  let tagRun = '';
  const flushTags = (): void => {
    if (tagRun !== '') out += `⟨TAG:${tagRun}⟩`;
    tagRun = '';
  };
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0000 && cp <= 0xe007f) {
      tagRun += cp >= 0xe0020 && cp <= 0xe007e ? String.fromCharCode(cp - 0xe0000) : `{${hex(cp)}}`;
      continue;
    }
    flushTags();
    if (ch === '\n' || ch === '\t') out += ch;
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `⟨U+${hex(cp)}⟩`;
    else if (invisibleKind(cp) !== null) out += `⟨U+${hex(cp)}⟩`;
    else if (cp === 0x2028 || cp === 0x2029) out += `⟨U+${hex(cp)}⟩`;
    else out += ch;
  }
  flushTags();
  return out;
}
