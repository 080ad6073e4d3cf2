/**
 * `inspectContent(text)`: a prompt-injection detector for content. It reports findings with
 * spans in the original text and a verdict: malicious (score ≥ 4), suspicious (≥ 2), else clean,
 * where low = 1, medium = 2, high = 4 and each rule counts once.
 */
import { normalizeForScan } from './normalize.ts';
import type { Normalized } from './normalize.ts';
import { INSTRUCTIONISH, TEXT_RULES } from './rules.ts';
import type { RuleSeverity } from './rules.ts';
import type { Verdict } from '../types.ts';

export interface InjectionFinding {
  readonly ruleId: string;
  readonly severity: RuleSeverity;
  /** UTF-16 offsets in the original text. */
  readonly start: number;
  readonly end: number;
  /** A short, printable excerpt (hidden characters shown as escapes or decoded). */
  readonly excerpt: string;
}

export interface InspectResult {
  readonly verdict: Verdict;
  readonly score: number;
  readonly findings: readonly InjectionFinding[];
  /** True when only the first `maxBytes` characters were scanned. */
  readonly truncated: boolean;
}

export interface InspectOptions {
  /** Characters scanned (default 1,000,000); the rest is reported as truncated. */
  readonly maxChars?: number;
  /** Findings per rule kept in the report (default 3). */
  readonly maxPerRule?: number;
}

const POINTS: Record<RuleSeverity, number> = { low: 1, medium: 2, high: 4 };

export function inspectContent(input: string, o: InspectOptions = {}): InspectResult {
  const maxChars = o.maxChars ?? 1_000_000;
  const truncated = input.length > maxChars;
  const src = truncated ? input.slice(0, maxChars) : input;
  const n = normalizeForScan(src);
  const findings: InjectionFinding[] = [];
  const perRule = o.maxPerRule ?? 3;
  hiddenCharFindings(src, n, findings);
  if (RULE_TRIGGER.test(n.text)) textFindings(src, n, findings, perRule);
  regionFindings(src, findings, perRule);
  const score = scoreOf(findings);
  const verdict: Verdict = score >= 4 ? 'malicious' : score >= 2 ? 'suspicious' : 'clean';
  findings.sort((a, b) => a.start - b.start);
  return { verdict, score, findings, truncated };
}

/**
 * What every match of every text rule contains (checked rule by rule, see rules.ts): whitespace,
 * one of < [ ( " @ /, an upper-case role word (role.system-line is case-sensitive) or id_rsa.
 * Normalized text with none of them (an id, a number, a token) cannot match a rule.
 */
export const RULE_TRIGGER = /[\s<[("@/]|SYSTEM|ASSISTANT|DEVELOPER|ADMIN|ROOT|[iI][dD]_[rR][sS][aA]/;

function textFindings(src: string, n: Normalized, findings: InjectionFinding[], perRule: number): void {
  for (const rule of TEXT_RULES) {
    // Most content matches no rule: a plain test first spares matchAll's per-call RegExp clone.
    rule.re.lastIndex = 0;
    if (!rule.re.test(n.text)) continue;
    rule.re.lastIndex = 0;
    let count = 0;
    for (const m of n.text.matchAll(rule.re)) {
      const start = n.map ? (n.map[m.index] ?? 0) : m.index;
      const end = n.map ? (n.map[m.index + m[0].length] ?? src.length) : m.index + m[0].length;
      findings.push({
        ruleId: rule.id,
        severity: rule.severity,
        start,
        end,
        excerpt: excerpt(src, start, end),
      });
      if (++count >= perRule) break;
    }
  }
}

function scoreOf(findings: readonly InjectionFinding[]): number {
  if (findings.length === 0) return 0;
  const best = new Map<string, number>();
  for (const f of findings) best.set(f.ruleId, Math.max(best.get(f.ruleId) ?? 0, POINTS[f.severity]));
  let s = 0;
  for (const v of best.values()) s += v;
  return s;
}

function hiddenCharFindings(src: string, n: Normalized, out: InjectionFinding[]): void {
  for (const r of n.tagRuns.slice(0, 3)) {
    if (r.decoded.length < 2) continue;
    out.push({
      ruleId: 'hidden.unicode-tags',
      severity: 'high',
      start: r.start,
      end: r.end,
      excerpt: `[tags] ${printable(r.decoded).slice(0, 100)}`,
    });
  }
  if (n.zeroWidthInWords >= 2) {
    const s = n.zeroWidthFirst;
    out.push({
      ruleId: 'hidden.zero-width',
      severity: 'medium',
      start: s,
      end: s + 1,
      excerpt: excerpt(src, Math.max(0, s - 20), s + 20),
    });
  }
  if (n.bidi >= 1) {
    const s = n.bidiFirst;
    out.push({
      ruleId: 'hidden.bidi-control',
      severity: n.bidi >= 4 ? 'medium' : 'low',
      start: s,
      end: s + 1,
      excerpt: excerpt(src, Math.max(0, s - 20), s + 20),
    });
  }
}

/** Opening tags that hide their content; the closing tag is found with indexOf (linear). */
const CSS_HIDDEN_OPEN =
  /<(\w{1,10})\b[^>]{0,300}?(?:style\s*=\s*["'][^"']{0,300}?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|em|pt)?\s*[;"']|opacity\s*:\s*0(?:\.0+)?\s*[;"']|color\s*:\s*(?:#fff(?:fff)?|white|transparent|rgba\([^)]{0,30},\s*0\))\s*[;"']|(?:left|top|text-indent)\s*:\s*-\d{3,})[^"']{0,300}["']|\shidden\b|aria-hidden\s*=\s*["']true["'])[^>]{0,300}>/gi;
const REGION_MAX = 4000;
/** Hidden regions examined per input: bounds the work on adversarial input (1,000 decoys). */
const MAX_REGIONS = 1000;
const MD_IMAGE = /!\[[^\]\n[]{0,200}\]\(\s*<?(https?:\/\/[^)\s>]{1,2000})/g;
const MD_IMAGE_REF = /!\[[^\]\n[]{0,200}\]\[([^\]\n]{1,100})\]/g;
const MD_REF_DEF = /^[ \t]{0,3}\[([^\]\n]{1,100})\]:[ \t]*<?(https?:\/\/\S{1,2000}?)>?(?:[ \t]|$)/gm;
const EXFIL_QUERY =
  /[?&#][^=\s]{0,40}=[^&\s]{0,400}?(?:[{}<>$]|%7[bd]|%3[ce]|\b(?:insert|replace|append|secret|password|passwd|token|api[_-]?key|conversation|history|chat|summary|data_here|user_data|leak|exfil|ssn|credit)\b)/i;

function regionFindings(src: string, out: InjectionFinding[], perRule: number): void {
  let found = 0;
  let seen = 0;
  for (let pos = src.indexOf('<!--'); pos >= 0 && found < perRule && seen < MAX_REGIONS; seen++) {
    const end = src.indexOf('-->', pos + 4);
    if (end < 0) break; // no comment closes after this point
    if (end - pos <= REGION_MAX && INSTRUCTIONISH.test(normalizeForScan(src.slice(pos + 4, end)).text)) {
      out.push(region('hidden.html-comment', pos, src.slice(pos, end + 3), src));
      found++;
    }
    pos = src.indexOf('<!--', end + 3);
  }
  // Each region rule needs a character most text lacks: without it, nothing can match.
  if (src.includes('<')) cssHidden(src, out, perRule);
  if (src.includes('![')) markdownImages(src, out, perRule);
}

function cssHidden(src: string, out: InjectionFinding[], perRule: number): void {
  let found = 0;
  let seen = 0;
  CSS_HIDDEN_OPEN.lastIndex = 0;
  for (const m of src.matchAll(CSS_HIDDEN_OPEN)) {
    if (found >= perRule || ++seen > MAX_REGIONS) break;
    const open = m.index + m[0].length;
    const close = src
      .slice(open, open + REGION_MAX)
      .toLowerCase()
      .indexOf(`</${m[1]!.toLowerCase()}`);
    if (close < 0) continue;
    const inner = stripTags(src.slice(open, open + close));
    if (!INSTRUCTIONISH.test(normalizeForScan(inner).text)) continue;
    out.push(region('hidden.css-invisible-text', m.index, src.slice(m.index, open + close), src));
    found++;
  }
}

function markdownImages(src: string, out: InjectionFinding[], perRule: number): void {
  const defs = new Map<string, { url: string; index: number; len: number }>();
  for (const m of src.matchAll(MD_REF_DEF))
    defs.set(m[1]!.toLowerCase(), { url: m[2]!, index: m.index, len: m[0].length });
  let c = 0;
  const push = (url: string, index: number, len: number): void => {
    if (c >= perRule || !EXFIL_QUERY.test(url)) return;
    out.push({
      ruleId: 'exfil.markdown-image',
      severity: 'high',
      start: index,
      end: index + len,
      excerpt: excerpt(src, index, index + len),
    });
    c++;
  };
  for (const m of src.matchAll(MD_IMAGE)) push(m[1]!, m.index, m[0].length);
  for (const m of src.matchAll(MD_IMAGE_REF)) {
    const d = defs.get(m[1]!.toLowerCase());
    if (d) push(d.url, d.index, d.len);
  }
}

function region(ruleId: string, index: number, text: string, src: string): InjectionFinding {
  return {
    ruleId,
    severity: 'high',
    start: index,
    end: index + text.length,
    excerpt: excerpt(src, index, index + text.length),
  };
}

function stripTags(s: string): string {
  return s.replace(/<[^>]{0,300}>/g, ' ');
}

function excerpt(src: string, start: number, end: number): string {
  const s = src.slice(start, Math.min(end, start + 160));
  return printable(s) + (end - start > 160 ? '…' : '');
}

/** Escapes control, format and private-use characters so an excerpt is safe in a terminal. */
export function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0000 && cp <= 0xe007f)
      out += cp >= 0xe0020 && cp <= 0xe007e ? String.fromCharCode(cp - 0xe0000) : '';
    else if (cp === 0x0a) out += ' ';
    else if (/[\p{Cc}\p{Cf}\p{Co}]/u.test(ch)) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out;
}
