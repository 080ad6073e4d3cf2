/**
 * Pattern detection (secrets the broker does not hold: provider API keys, tokens, private keys,
 * connection strings) with secretlint's maintained recommended rule set
 * (@secretlint/secretlint-rule-preset-recommend 11.x, MIT, the last line supporting Node 20).
 *
 * The rules are run synchronously through a minimal rule context (the secretlint rule API:
 * `create(context, options)` returning a `file(source)` handler that calls `context.report`),
 * so logging and stream redaction stay synchronous. Differences from the secretlint runner:
 * - the `filter-comments` rule is NOT loaded: a `secretlint-disable` comment in tool output
 *   would let an attacker switch redaction off;
 * - rule messages (which quote the secret) are never built or kept: only the message id;
 * - each rule sees the text in windows of at most WINDOW code units (overlapping by OVERLAP),
 *   so a rule whose regex backtracks badly is bounded by the window, not the input (FACTS.md).
 */
import { rules as presetRules } from '@secretlint/secretlint-rule-preset-recommend';
import { PREFILTERS } from './pattern-prefilters.ts';

export const PATTERN_WINDOW = 65_536;
/** Longest pattern match guaranteed to be seen whole (the private-key rule allows 10,000 body chars). */
export const PATTERN_OVERLAP = 10_240;

export interface PatternFinding {
  readonly ruleId: string;
  readonly start: number;
  readonly end: number;
}

interface Report {
  readonly message: { readonly id: string; readonly values: readonly string[] };
  readonly range: readonly [number, number];
}

interface RuleHandlers {
  file?: (source: unknown) => unknown;
}

interface RuleCreator {
  readonly meta: { readonly id: string };
  create(context: unknown, options: unknown): RuleHandlers;
}

const EXCLUDED = new Set(['@secretlint/secretlint-rule-filter-comments']);

function shortId(id: string): string {
  return id.replace(/^@secretlint\/secretlint-rule-/, '');
}

const loadedRules: readonly RuleCreator[] = (presetRules as unknown as RuleCreator[]).filter(
  (r) => !EXCLUDED.has(r.meta.id),
);

/** The ids (`pattern:<rule>/<message>` prefixes) of the loaded rules, for docs and tests. */
export function patternRuleNames(): string[] {
  return loadedRules.map((r) => shortId(r.meta.id));
}

/** Where the shared rule contexts report (set for the duration of one window's scan). */
let sink: { text: string; out: PatternFinding[] } | undefined;

interface LoadedRule {
  readonly name: string;
  readonly file?: (source: unknown) => unknown;
  /** Shortest text the rule can match (pattern-prefilters.ts; 0 without a prefilter). */
  readonly minLength: number;
  /** A necessary condition for a match (pattern-prefilters.ts; always true without one). */
  readonly mayMatch: (text: string) => boolean;
}

const always = (): boolean => true;

/**
 * Each rule's handlers, created once with a context that reports into `sink`: creating them per
 * scan cost ~45 µs per string (closures and regexes of ~20 rules), which dominated short texts.
 */
const handlers: readonly LoadedRule[] = loadedRules.map((rule) => {
  const name = shortId(rule.meta.id);
  const context = {
    createTranslator:
      () =>
      (id: string, props: Record<string, unknown> = {}) => ({
        id,
        values: Object.values(props).filter((v): v is string => typeof v === 'string'),
      }),
    report: (r: Report) => sink?.out.push(locate(sink.text, `pattern:${name}/${r.message.id}`, r)),
    ignore: () => {},
    registerRule: () => {},
  };
  const h = rule.create(context, {});
  const pre = PREFILTERS[name];
  const minLength = pre?.minLength ?? 0;
  const mayMatch = pre === undefined ? always : pre.mayMatch;
  return h.file === undefined ? { name, minLength, mayMatch } : { name, file: h.file, minLength, mayMatch };
});

/**
 * Runs every rule on one window; findings are relative to the window. With `prefilter`, a rule
 * whose necessary condition fails on the window is not run (the same findings, see
 * pattern-prefilters.ts); without, every rule runs (kept for the differential test).
 */
function scanWindow(text: string, prefilter: boolean): PatternFinding[] {
  const out: PatternFinding[] = [];
  const prev = sink;
  sink = { text, out };
  try {
    for (const h of handlers) {
      if (h.file === undefined) continue;
      if (prefilter && (text.length < h.minLength || !h.mayMatch(text))) continue;
      // Rules that need a file path (p12 files) or return a promise only add async work for files
      // we never pass; a rejected promise must not become an unhandled rejection.
      const result = h.file({ content: text, filePath: undefined, ext: '', contentType: 'text' });
      if (result instanceof Promise) result.catch(() => {});
    }
  } finally {
    sink = prev;
  }
  return out;
}

/** Whether any rule's prefilter passes on `text` (false: no rule can report on it). */
function anyMayMatch(text: string): boolean {
  for (const h of handlers) {
    if (h.file !== undefined && text.length >= h.minLength && h.mayMatch(text)) return true;
  }
  return false;
}

/**
 * secretlint reports a range that, for some rules, starts at the whole match but has the length
 * of the captured secret. The secret itself is in the message props: when it is found near the
 * range, that is the span; otherwise the reported range is widened to cover it conservatively.
 */
function locate(text: string, ruleId: string, r: Report): PatternFinding {
  const [s, e] = r.range;
  const secret = r.message.values.reduce((a, b) => (b.length > a.length ? b : a), '');
  if (secret.length >= 4) {
    const at = text.indexOf(secret, Math.max(0, s - secret.length));
    if (at >= 0 && at <= e + secret.length) return { ruleId, start: at, end: at + secret.length };
  }
  return { ruleId, start: s, end: Math.max(e, s + secret.length) };
}

/** Texts shorter than this cannot hold any rule's match (the shortest, basic auth in a URL, is longer). */
export const PATTERN_MIN_TEXT = 8;

/**
 * Pattern findings over the whole text, scanned in bounded, overlapping windows. `prefilter`
 * (default true) skips rules that cannot match a window; false runs every rule on every window
 * (the reference the prefilters are tested against).
 */
export function scanPatterns(text: string, prefilter = true): PatternFinding[] {
  if (text.length < PATTERN_MIN_TEXT) return [];
  // The common case: a text of one window that no rule can match (no sink, no slice, no set).
  if (prefilter && text.length <= PATTERN_WINDOW && !anyMayMatch(text)) return [];
  const out: PatternFinding[] = [];
  const seen = new Set<string>();
  const step = PATTERN_WINDOW - PATTERN_OVERLAP;
  for (let base = 0; base < text.length; base += step) {
    for (const f of scanWindow(text.slice(base, base + PATTERN_WINDOW), prefilter)) {
      const g = { ruleId: f.ruleId, start: f.start + base, end: Math.min(text.length, f.end + base) };
      const key = `${g.start}:${g.end}:${g.ruleId}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(g);
      }
    }
    if (base + PATTERN_WINDOW >= text.length) break;
  }
  return out;
}
