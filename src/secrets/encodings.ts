/**
 * The encoded forms of a known secret that the redactor looks for (THREATS.md SB-2, EX-6).
 *
 * Every form is a plain string found by the Aho–Corasick matcher, so adding a form costs
 * automaton size, not scan time. Forms (of the UTF-8 bytes of the value):
 * - raw;
 * - base64 standard and URL alphabets, padded or not, at all 3 byte alignments: for a value
 *   starting at offset k (mod 3) inside a larger encoded blob, the characters that depend on the
 *   value's bytes only (the "core"); the one or two edge characters shared with neighbouring
 *   bytes are not part of the pattern, so at most 4 bits at each edge stay visible;
 * - hex, lower and upper case;
 * - percent-encoding: `encodeURIComponent` with upper- or lower-case hex, and every byte as
 *   `%XX` (upper and lower);
 * - JSON string escaping: `JSON.stringify` body, and every UTF-16 unit as `\uXXXX` (upper and
 *   lower).
 */
export type EncodingId =
  'raw' | 'base64' | 'base64url' | 'hex' | 'hex-upper' | 'percent' | 'percent-all' | 'json' | 'json-unicode';

export interface EncodedForm {
  readonly encoding: EncodingId;
  readonly text: string;
}

/** All encoded forms of `value`, without duplicates (raw first). */
export function encodedForms(value: string): EncodedForm[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: EncodedForm[] = [{ encoding: 'raw', text: value }];
  for (let k = 0; k < 3; k++) {
    const core = base64Core(bytes, k);
    if (core.length === 0) continue;
    forms.push({ encoding: 'base64', text: core });
    forms.push({ encoding: 'base64url', text: core.replace(/\+/g, '-').replace(/\//g, '_') });
  }
  const hex = bytes.toString('hex');
  forms.push({ encoding: 'hex', text: hex }, { encoding: 'hex-upper', text: hex.toUpperCase() });
  const uri = encodeURIComponent(value);
  forms.push({ encoding: 'percent', text: uri }, { encoding: 'percent', text: lowerPercentHex(uri) });
  const all = hex.toUpperCase().replace(/(..)/g, '%$1');
  forms.push({ encoding: 'percent-all', text: all }, { encoding: 'percent-all', text: all.toLowerCase() });
  forms.push({ encoding: 'json', text: JSON.stringify(value).slice(1, -1) });
  const units = [...Array(value.length).keys()].map((i) => value.charCodeAt(i).toString(16).padStart(4, '0'));
  forms.push({ encoding: 'json-unicode', text: units.map((u) => `\\u${u}`).join('') });
  forms.push({ encoding: 'json-unicode', text: units.map((u) => `\\u${u.toUpperCase()}`).join('') });
  const seen = new Set<string>();
  return forms.filter((f) => (seen.has(f.text) ? false : (seen.add(f.text), true)));
}

/**
 * The base64 characters fully determined by `bytes` when they start at byte offset `k` (0–2)
 * of a larger blob: character j covers bits [6j, 6j+6) of the blob, and the value covers bits
 * [8k, 8(k+n)).
 */
export function base64Core(bytes: Buffer, k: number): string {
  const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
  const first = Math.ceil((8 * k) / 6);
  const last = Math.floor((8 * (k + bytes.length)) / 6); // exclusive
  return last > first ? encoded.slice(first, last) : '';
}

function lowerPercentHex(s: string): string {
  return s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
}
