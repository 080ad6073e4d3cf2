/**
 * Invisible and deceptive text (TP-3): Unicode tags, bidi controls, zero-width characters,
 * homoglyphs mixed into a word, whitespace padding, and encoded blobs. Also returns hidden
 * text (decoded tag characters, base64/hex that decodes to prose) so that the text rules can
 * run on it as well.
 */
import { confusableTable } from '../confusables.ts';
import { excerptAround, isAscii } from '../text.ts';
import { decodeTagText, invisibleKind } from '../unicode.ts';
import type { Field } from '../walk.ts';
import type { RawFinding } from '../types.ts';

const EMOJI = /\p{Extended_Pictographic}/u;

function finding(
  f: Field,
  ruleId: string,
  severity: RawFinding['severity'],
  start: number,
  end: number,
  message: string,
  tag?: string,
): RawFinding {
  const base = { ruleId, category: 'hidden' as const, severity, pointer: f.pointer, message };
  return { ...base, excerpt: excerptAround(f.text, start, end), ...(tag ? { tag } : {}) };
}

function invisibleFindings(f: Field): RawFinding[] {
  const out: RawFinding[] = [];
  const seen = new Set<string>();
  const text = f.text;
  let i = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const kind = invisibleKind(cp);
    const at = i;
    i += ch.length;
    if (kind === null) continue;
    const prev = text.slice(Math.max(0, at - 2), at);
    const next = text.slice(at + ch.length, at + ch.length + 2);
    const nearEmoji = EMOJI.test(prev) || EMOJI.test(next);
    let rule: [string, RawFinding['severity'], string] | null = null;
    if (kind === 'tag')
      rule = ['invisible.tag-characters', 'critical', 'contains Unicode tag characters (hidden ASCII text)'];
    else if (kind === 'bidi' && ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))) {
      rule = ['invisible.bidi-control', 'high', 'contains a bidi override or isolate control'];
    } else if (kind === 'zero-width' && !nearEmoji && !(cp === 0xfeff && at === 0)) {
      const inWord = /[A-Za-z0-9]$/.test(prev) && /^[A-Za-z0-9]/.test(next);
      rule = inWord
        ? ['invisible.zero-width-in-word', 'high', 'hides a zero-width character inside a word']
        : ['invisible.zero-width', 'medium', 'contains zero-width characters'];
    } else if (kind === 'format' || (kind === 'variation-selector' && !nearEmoji)) {
      rule = ['invisible.format', 'low', 'contains invisible formatting characters'];
    }
    if (rule === null || seen.has(rule[0])) continue;
    seen.add(rule[0]);
    out.push(finding(f, rule[0], rule[1], at, at + ch.length, rule[2]));
  }
  return out;
}

const LATIN = /\p{Script=Latin}/u;
const WORD_RE = /[\p{L}\p{M}]{2,}/gu;

/** A word mixing Latin letters with non-Latin letters that imitate Latin ones. */
function mixedScriptFinding(f: Field): RawFinding | null {
  if (isAscii(f.text)) return null;
  const table = confusableTable();
  for (const m of f.text.matchAll(WORD_RE)) {
    const w = m[0];
    if (!LATIN.test(w)) continue;
    const imitators = [...w].filter((c) => {
      if (LATIN.test(c) || c.codePointAt(0)! < 0x80) return false;
      const proto = table.get(c);
      return proto !== undefined && /^[A-Za-z]+$/.test(proto);
    });
    if (imitators.length === 0) continue;
    const strong = f.role === 'name' || f.role === 'property-name';
    return finding(
      f,
      'deceptive.mixed-script',
      strong ? 'high' : 'medium',
      m.index,
      m.index + w.length,
      'mixes Latin letters with look-alike letters from another script in one word',
    );
  }
  return null;
}

const HTML_COMMENT = /<!--[\s\S]{0,2000}?-->/;

/** Text inside an HTML comment is hidden by markdown renderers but read by the model. */
function htmlCommentFinding(f: Field, hidden: Field[]): RawFinding | null {
  const m = HTML_COMMENT.exec(f.text);
  if (m === null || !/[a-z]{3,}\s+[a-z]{2,}/i.test(m[0])) return null;
  hidden.push({ pointer: f.pointer, text: m[0].slice(4, -3), role: 'hidden' });
  return finding(
    f,
    'deceptive.html-comment',
    'medium',
    m.index,
    m.index + m[0].length,
    'hides text in an HTML comment',
  );
}

const PADDING = /[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]{40,}|(?:[ \t]*\r?\n){12,}/;

function paddingFinding(f: Field): RawFinding | null {
  const m = PADDING.exec(f.text);
  if (m === null || m.index + m[0].length >= f.text.trimEnd().length) return null;
  return finding(
    f,
    'deceptive.whitespace-padding',
    'medium',
    m.index,
    m.index + m[0].length,
    'long whitespace padding pushes text past what a UI shows',
  );
}

const BASE64 = /(?:[A-Za-z0-9+/]{4}){10,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?/g;
const HEX = /\b(?:[0-9a-fA-F]{2}){24,}\b/g;

function looksLikeProse(s: string): boolean {
  if (s.length < 12) return false;
  const printable = [...s].filter((c) => /[\x20-\x7e\n\t]/.test(c)).length;
  return printable / s.length > 0.95 && /[a-z]{3,}\s+[a-z]{2,}/i.test(s);
}

/** Encoded blobs; prose hidden inside them is returned as extra hidden fields. */
function blobFindings(f: Field, hidden: Field[]): RawFinding[] {
  const out: RawFinding[] = [];
  const candidates: [RegExpMatchArray, BufferEncoding][] = [
    ...[...f.text.matchAll(BASE64)].map((m) => [m, 'base64'] as [RegExpMatchArray, BufferEncoding]),
    ...[...f.text.matchAll(HEX)].map((m) => [m, 'hex'] as [RegExpMatchArray, BufferEncoding]),
  ];
  for (const [m, enc] of candidates) {
    const s = m[0];
    if (enc === 'base64' && !(/[a-z]/.test(s) && /[A-Z]/.test(s))) continue;
    const decoded = Buffer.from(s, enc).toString('utf8');
    if (!looksLikeProse(decoded)) continue;
    hidden.push({ pointer: f.pointer, text: decoded, role: 'hidden' });
    out.push(
      finding(
        f,
        'deceptive.encoded-text',
        'medium',
        m.index!,
        m.index! + s.length,
        `contains ${enc} that decodes to text`,
      ),
    );
    break;
  }
  return out;
}

/** Runs the invisible/deceptive rules on one field; pushes decoded hidden text to `hidden`. */
export function unicodeFindings(f: Field, hidden: Field[]): RawFinding[] {
  const out = invisibleFindings(f);
  const tagText = decodeTagText(f.text);
  if (tagText.trim() !== '') hidden.push({ pointer: f.pointer, text: tagText, role: 'hidden' });
  const mixed = mixedScriptFinding(f);
  if (mixed) out.push(mixed);
  const comment = f.role === 'hidden' ? null : htmlCommentFinding(f, hidden);
  if (comment) out.push(comment);
  const pad = paddingFinding(f);
  if (pad) out.push(pad);
  if (f.role !== 'hidden') out.push(...blobFindings(f, hidden));
  return out;
}
