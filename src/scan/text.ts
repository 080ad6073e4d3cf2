/** Text preparation for matching: what a model effectively reads, with disguises removed. */
import { confusableTable } from './confusables.ts';
import { normalizeForDisplay, stripInvisible } from './unicode.ts';

let asciiFold: Map<string, string> | undefined;

/** Non-ASCII code points whose confusable prototype is plain ASCII (Cyrillic а → a). */
function asciiFoldTable(): Map<string, string> {
  if (asciiFold === undefined) {
    asciiFold = new Map();
    for (const [src, proto] of confusableTable()) {
      if (src.codePointAt(0)! > 0x7f && /^[\x20-\x7e]+$/.test(proto)) asciiFold.set(src, proto);
    }
  }
  return asciiFold;
}

/**
 * Strips invisible code points, applies NFKC (fullwidth → ASCII), folds non-ASCII homoglyphs
 * to their ASCII prototype and collapses whitespace runs to one space.
 */
export function normalizeForMatch(s: string): string {
  if (isAscii(s)) return s.replace(/\s+/g, ' ');
  const t = asciiFoldTable();
  let out = '';
  for (const ch of stripInvisible(s).normalize('NFKC')) {
    out += ch.codePointAt(0)! > 0x7f ? (t.get(ch) ?? ch) : ch;
  }
  return out.replace(/\s+/g, ' ');
}

/** `content_from_reading_ssh_id_rsa`, `contentFromReading` → space-separated lower words. */
export function identifierToWords(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.\-/]+/g, ' ')
    .toLowerCase()
    .trim();
}

const EXCERPT_MAX = 120;

/** A short, display-safe excerpt of `text` around [start, end). */
export function excerptAround(text: string, start: number, end: number): string {
  const from = Math.max(0, start - 30);
  const to = Math.min(text.length, Math.max(end, start) + 30, from + EXCERPT_MAX);
  const body = normalizeForDisplay(text.slice(from, to)).replace(/\s+/g, ' ');
  return `${from > 0 ? '…' : ''}${body}${to < text.length ? '…' : ''}`;
}

/** True when every UTF-16 unit of `s` is ASCII. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
