/**
 * Sound prefilters for the secretlint rules of pattern-rules.ts: for each rule, a necessary
 * condition for it to report anything on a text, cheap to test (a length and one or two
 * `indexOf`s), so a rule's handler (which builds regexes and match iterators per call) is
 * skipped on texts it cannot match. Most strings in tool arguments and results are short and
 * plain, and then no handler runs at all.
 *
 * Every condition below was derived by hand from the rule's source in
 * @secretlint/secretlint-rule-preset-recommend PREFILTERS_REVIEWED_FOR
 * (module/index-*.js), and each comment says why it is necessary:
 * - `minLength` is the shortest text the rule's regex can match (the report's match lies in
 *   the text the handler sees, so a shorter text cannot produce one);
 * - `mayMatch` tests a literal that every match of every regex of the rule contains, with the
 *   regex's case sensitivity (the /i regexes are only gated on literals without letters).
 * A rule without an entry here always runs (a new rule in a newer preset is never skipped).
 * test/unit/secrets/pattern-prefilters.test.ts checks the filtered scan against the unfiltered
 * one over realistic keys, generated near-misses and random text, and pins the preset version.
 */

/** The preset version the conditions were derived from; a test fails when the installed one differs. */
export const PREFILTERS_REVIEWED_FOR = '11.7.1';

export interface RulePrefilter {
  /** No text shorter than this can hold a match. */
  readonly minLength: number;
  /** False only when the rule cannot report on `text` (true may still find nothing). */
  readonly mayMatch: (text: string) => boolean;
}

const has = (text: string, literal: string): boolean => text.indexOf(literal) !== -1;

/** The classic GitHub token prefixes `gh[oprsu]_` (the regex is case-sensitive). */
const GITHUB_CLASSIC = /gh[oprsu]_/;

/** By the rule's short id (`@secretlint/secretlint-rule-<id>`). */
export const PREFILTERS: Readonly<Record<string, RulePrefilter>> = Object.freeze({
  // Only reportAWSSecretAccessKey runs (the ID scans need enableIDScanRule, off by default). Its
  // regex (flags g, case-sensitive) is ["']?(AWS|aws|Aws)?_?(SECRET|secret|Secret)_?
  // (ACCESS|access|Access)_?(KEY|key|Key)["']?\s*(:|=>|=)\s*["']?[A-Za-z0-9/+=]{40}["']?\b:
  // at least 6 + 6 + 3 + 1 + 40 = 56 code units, and SECRET contains "ECRET", secret and
  // Secret contain "ecret".
  aws: { minLength: 56, mayMatch: (t) => has(t, 'ecret') || has(t, 'ECRET') },
  // The handler acts only when source.ext is ".p12" or ".json"; scanWindow passes ext "".
  gcp: { minLength: Infinity, mayMatch: () => false },
  // PEM_CONTENT_PATTERN (flags gm): "-----BEGIN" [ ]? (type )? "PRIVATE KEY" ( BLOCK)? "-----"
  // \n? [body]{100,10000} \n? "-----END" ... "PRIVATE KEY" ... "-----": at least
  // 10 + 11 + 5 + 100 + 8 + 11 + 5 = 150, and the literal "-----BEGIN".
  privatekey: { minLength: 150, mayMatch: (t) => has(t, '-----BEGIN') },
  // With no file path, isPackageFile() is true, so the handler runs the x-oauth-basic regex
  // (never the .npmrc one) and the npm_ token regex, both case-sensitive:
  // https?://(.{1,256}):x-oauth-basic@github.com/ is at least 7 + 1 + 26 = 34 and contains
  // ":x-oauth-basic@github"; npm_[A-Za-z0-9_]{36} is 40 and contains "npm_".
  npm: { minLength: 34, mayMatch: (t) => has(t, 'npm_') || has(t, ':x-oauth-basic@github') },
  // (https?|ftp|ftps)://user{1,}:password{1,}@host{1,}.tld{1,6}: at least 6 + 7 = 13, and "://".
  basicauth: { minLength: 13, mayMatch: (t) => has(t, '://') },
  // Token (flags g, case-sensitive): (xoxb|xoxp|xapp|xoxa|xoxo|xoxr)-(\d-)?([a-zA-Z0-9]{1,40}-)+
  // [a-zA-Z0-9]{1,40}: at least 8, containing "xox" or "xapp". Incoming webhook (flags gi):
  // https://hooks.slack.com/services/...: longer, and contains "://" (no letters, so case
  // folding does not matter).
  slack: { minLength: 8, mayMatch: (t) => has(t, 'xox') || has(t, 'xapp') || has(t, '://') },
  // (?<!\p{L})SG\.\w{1,128}\.\w{1,128}([-_]?)\w{1,128}(?!\w) (flags gu, case-sensitive), and
  // the handler reports only matches exactly 69 long: contains "SG.".
  sendgrid: { minLength: 69, mayMatch: (t) => has(t, 'SG.') },
  // (shppa|shpca|shpat|shpss)_[a-zA-Z0-9]{32,64} (flags gu): at least 6 + 32 = 38, "shp".
  shopify: { minLength: 38, mayMatch: (t) => has(t, 'shp') },
  // (ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36} (40 long) or github_pat_[A-Za-z0-9_]{82} (93 long),
  // both flags gu (case-sensitive).
  github: { minLength: 40, mayMatch: (t) => GITHUB_CLASSIC.test(t) || has(t, 'github_pat_') },
  // sk-(proj|svcacct|admin)-(x{74}|x{58})T3BlbkFJ(x{74}|x{58})\b | sk-[a-zA-Z0-9]{20}T3BlbkFJ
  // [a-zA-Z0-9]{20} (flags g): both alternatives contain "T3BlbkFJ"; the shorter is 51 long.
  openai: { minLength: 51, mayMatch: (t) => has(t, 'T3BlbkFJ') },
  // sk-ant-api0\d-[A-Za-z0-9_-]{90,128}AA (flags gu): at least 11 + 2 + 90 + 2 = 105.
  anthropic: { minLength: 105, mayMatch: (t) => has(t, 'sk-ant-api0') },
  // lin_api_[a-zA-Z0-9_]{32,128} (flags gu): at least 8 + 32 = 40.
  linear: { minLength: 40, mayMatch: (t) => has(t, 'lin_api_') },
  // ops_(ey[A-Za-z0-9+/=]{100,1280}fQ={0,2}) (flags gu): at least 4 + 2 + 100 + 2 = 108.
  '1password': { minLength: 108, mayMatch: (t) => has(t, 'ops_ey') },
  // Three regexes (flags gi): mongodb(+srv)?://, (jdbc:)?mysql(x)?://, postgres(ql)?://, each
  // followed by at least one host character: at least 8 + 1 = 9 (mysql), and all contain "://"
  // (no letters, so case folding does not matter).
  'database-connection-string': { minLength: 9, mayMatch: (t) => has(t, '://') },
});
