/**
 * The redactor: known secret values (in every form of encodings.ts) found by one multi-pattern
 * matcher (window-matcher.ts: a rolling-hash filter, Aho–Corasick for short forms), plus optional pattern rules (pattern-rules.ts). Replacement is
 * `[REDACTED:<rule>]`, with rule `secret:<NAME>` for known values and the pattern rule id
 * otherwise. A redactor is immutable: rotation builds a new one.
 */
import { WindowMatcher } from './window-matcher.ts';
import { encodedForms } from './encodings.ts';
import type { EncodingId } from './encodings.ts';
import { scanPatterns, PATTERN_OVERLAP } from './pattern-rules.ts';

export interface KnownSecret {
  readonly name: string;
  readonly value: string;
}

export interface Finding {
  readonly ruleId: string;
  /** UTF-16 offsets into the input text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

export interface RawMatch extends Finding {
  readonly name: string;
  readonly encoding: EncodingId;
}

export interface RedactResult {
  readonly text: string;
  readonly findings: readonly Finding[];
}

export interface RedactorOptions {
  /** Known secrets; a bare string is named `value`. */
  readonly values: readonly (KnownSecret | string)[];
  /** Also run the pattern rules (default false). */
  readonly patterns?: boolean;
}

export interface Redactor {
  readonly patterns: boolean;
  /** Longest known pattern in code units (0 with no known values). */
  readonly maxPatternLength: number;
  /** How many code units a stream redactor must hold back between chunks. */
  readonly holdback: number;
  redact(text: string): RedactResult;
  /**
   * Merged, sorted spans to redact (known values and, if enabled, patterns). `known`, when given,
   * also receives the unmerged known-value matches (what matchKnown returns), so one scan
   * answers both questions.
   */
  find(text: string, known?: RawMatch[]): Finding[];
  /** Every known-value occurrence, unmerged, with its encoding (for counting and proofs). */
  matchKnown(text: string): RawMatch[];
  /** Whether `text` contains a known value in any encoding (patterns not consulted). */
  containsKnown(text: string): boolean;
}

export function replacementFor(ruleId: string): string {
  return `[REDACTED:${ruleId}]`;
}

export function createRedactor(options: RedactorOptions): Redactor {
  const secrets = options.values.map((v) => (typeof v === 'string' ? { name: 'value', value: v } : v));
  const texts: string[] = [];
  const owners: { name: string; encoding: EncodingId }[] = [];
  const seen = new Set<string>();
  for (const s of secrets) {
    if (typeof s.value !== 'string' || s.value.length === 0)
      throw new TypeError('secret values must be non-empty');
    for (const form of encodedForms(s.value)) {
      if (seen.has(form.text)) continue;
      seen.add(form.text);
      texts.push(form.text);
      owners.push({ name: s.name, encoding: form.encoding });
    }
  }
  const ac = texts.length > 0 ? new WindowMatcher(texts) : null;
  const patterns = options.patterns === true;
  const maxPatternLength = ac?.maxLength ?? 0;

  function matchKnown(text: string): RawMatch[] {
    const out: RawMatch[] = [];
    // With no known values there is nothing to scan for.
    if (ac === null) return out;
    ac.scan(text, (p, start, end) => {
      const o = owners[p]!;
      out.push({ ruleId: `secret:${o.name}`, name: o.name, encoding: o.encoding, start, end });
    });
    return out;
  }

  function find(text: string, known?: RawMatch[]): Finding[] {
    const mine = matchKnown(text);
    if (known !== undefined) for (const m of mine) known.push(m);
    const all: Finding[] = mine;
    if (patterns) {
      const p = scanPatterns(text);
      for (const f of p) all.push(f);
    }
    // Clean text (the common case) returns without sorting or copying.
    return all.length === 0 ? all : mergeSpans(all);
  }

  return Object.freeze({
    patterns,
    maxPatternLength,
    holdback: Math.max(maxPatternLength - 1, patterns ? PATTERN_OVERLAP : 0),
    find,
    matchKnown,
    containsKnown: (text: string) => ac?.test(text) ?? false,
    redact: (text: string) => {
      const findings = find(text);
      return { text: applyFindings(text, findings), findings };
    },
  });
}

/**
 * Sorts and merges overlapping or touching spans; the merged span keeps the rule of its
 * longest member (known values win ties, since they sort first for equal spans).
 */
export function mergeSpans(findings: readonly Finding[]): Finding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  let cur: { ruleId: string; start: number; end: number; len: number } | undefined;
  for (const f of sorted) {
    if (cur !== undefined && f.start <= cur.end) {
      if (f.end - f.start > cur.len) {
        cur.ruleId = f.ruleId;
        cur.len = f.end - f.start;
      }
      cur.end = Math.max(cur.end, f.end);
      continue;
    }
    if (cur !== undefined) out.push({ ruleId: cur.ruleId, start: cur.start, end: cur.end });
    cur = { ruleId: f.ruleId, start: f.start, end: f.end, len: f.end - f.start };
  }
  if (cur !== undefined) out.push({ ruleId: cur.ruleId, start: cur.start, end: cur.end });
  return out;
}

/** Replaces each (sorted, disjoint) span with its `[REDACTED:<rule>]` marker. */
export function applyFindings(text: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return text;
  const parts: string[] = [];
  let at = 0;
  for (const f of findings) {
    parts.push(text.slice(at, f.start), replacementFor(f.ruleId));
    at = f.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** UTF-8 byte offsets for findings (for `warden redact --json`). */
export function toByteSpans(
  text: string,
  findings: readonly Finding[],
): { ruleId: string; start: number; end: number }[] {
  return findings.map((f) => ({
    ruleId: f.ruleId,
    start: Buffer.byteLength(text.slice(0, f.start), 'utf8'),
    end: Buffer.byteLength(text.slice(0, f.end), 'utf8'),
  }));
}
