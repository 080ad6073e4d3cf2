/**
 * From findings to a verdict.
 *
 * 1. Combination rules: signals that are weak alone are strong together (an instruction to
 *    hide something plus a sensitive path; a sensitive path plus a parameter to fill; hidden
 *    text plus any instruction). They add `combo.*` findings.
 * 2. Score: each rule id counts once, at its highest severity: low 1, medium 3, high 6,
 *    critical 12.
 * 3. Verdict: `malicious` if any finding is critical or the score is >= 12; `suspicious` if
 *    any finding is high or the score is >= 5; otherwise `clean`.
 */
import type { RawFinding, Severity, Verdict } from './types.ts';

export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = Object.freeze({
  low: 1,
  medium: 3,
  high: 6,
  critical: 12,
});
export const MALICIOUS_SCORE = 12;
export const SUSPICIOUS_SCORE = 5;

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const BY_RANK: Severity[] = ['low', 'medium', 'high', 'critical'];

export function bump(s: Severity): Severity {
  return BY_RANK[Math.min(3, RANK[s] + 1)]!;
}

export function atLeast(s: Severity, min: Severity): boolean {
  return RANK[s] >= RANK[min];
}

type Pred = (f: RawFinding) => boolean;
const is =
  (category: RawFinding['category'], ...tags: string[]): Pred =>
  (f) =>
    f.category === category && (tags.length === 0 || tags.includes(f.tag ?? ''));
const any =
  (...ps: Pred[]): Pred =>
  (f) =>
    ps.some((p) => p(f));

const instruction = is('instruction');
const strongInstruction = is('instruction', 'override', 'tag', 'hijack', 'precondition');
const conceal = is('conceal');
const sensitiveStrong = is('sensitive', 'path', 'read');
const sensitiveAny = is('sensitive');
const exfil = is('exfil');
const shadow = is('shadow');
const hiddenText = (f: RawFinding): boolean => f.category === 'hidden' && atLeast(f.severity, 'medium');
const fromHidden = (f: RawFinding): boolean => f.tag === 'from-hidden';

interface Combo {
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  readonly parts: readonly Pred[];
}

const COMBOS: readonly Combo[] = [
  {
    id: 'combo.covert-action',
    severity: 'critical',
    message: 'hides from the user an action on sensitive data, other tools or parameters',
    parts: [
      conceal,
      any(sensitiveStrong, exfil, shadow, strongInstruction, is('instruction', 'destructive', 'payload')),
    ],
  },
  {
    id: 'combo.exfiltrate-sensitive',
    severity: 'critical',
    message: 'routes sensitive material into a parameter or destination',
    parts: [sensitiveStrong, exfil],
  },
  {
    id: 'combo.hidden-instruction',
    severity: 'critical',
    message: 'carries instructions in hidden or disguised text',
    parts: [any(hiddenText, fromHidden), any(instruction, conceal, exfil, sensitiveStrong)],
  },
  {
    id: 'combo.shadowing-attack',
    severity: 'critical',
    message: 'redefines another tool and sends data elsewhere',
    parts: [
      shadow,
      any(
        is('exfil', 'redirect', 'email', 'url'),
        is('instruction', 'tag', 'override', 'destructive', 'payload'),
      ),
    ],
  },
  {
    id: 'combo.hijack-exfiltration',
    severity: 'critical',
    message: 'forces itself into every request and collects data',
    parts: [is('instruction', 'hijack', 'override'), exfil],
  },
  {
    id: 'combo.privilege-grab',
    severity: 'critical',
    message: "overrides the model's rules together with other instructions or secrets",
    parts: [is('instruction', 'override'), any(sensitiveAny, is('instruction', 'tag', 'hijack'), conceal)],
  },
  {
    id: 'combo.hijacked-destruction',
    severity: 'high',
    message: 'inserts itself before other tools and directs destructive actions',
    parts: [
      is('instruction', 'hijack', 'precondition', 'tag', 'urgency'),
      is('instruction', 'destructive', 'payload'),
    ],
  },
  {
    id: 'combo.sensitive-instruction',
    severity: 'high',
    message: 'instructs the model to act on sensitive material',
    parts: [sensitiveStrong, strongInstruction],
  },
  {
    id: 'combo.tagged-directive',
    severity: 'high',
    message: 'an instruction block that also pushes urgency, hijacking or data flow',
    parts: [
      is('instruction', 'tag'),
      any(is('instruction', 'urgency', 'hijack', 'precondition'), exfil, sensitiveAny),
    ],
  },
];

/** Adds combination findings for the combos whose parts are all present. */
export function addCombos(findings: RawFinding[]): RawFinding[] {
  const out = [...findings];
  for (const c of COMBOS) {
    const hits = c.parts.map((p) => findings.find(p));
    if (hits.some((h) => h === undefined)) continue;
    const first = hits[0]!;
    out.push({
      ruleId: c.id,
      category: 'combo',
      severity: c.severity,
      pointer: first.pointer,
      excerpt: first.excerpt,
      message: `${c.message} (${hits.map((h) => h!.ruleId).join(' + ')})`,
    });
  }
  return out;
}

export function scoreOf(findings: readonly RawFinding[]): number {
  const best = new Map<string, number>();
  for (const f of findings) {
    const w = SEVERITY_WEIGHT[f.severity];
    if ((best.get(f.ruleId) ?? 0) < w) best.set(f.ruleId, w);
  }
  let sum = 0;
  for (const w of best.values()) sum += w;
  return sum;
}

export function verdictOf(findings: readonly RawFinding[]): { verdict: Verdict; score: number } {
  const score = scoreOf(findings);
  if (findings.some((f) => f.severity === 'critical') || score >= MALICIOUS_SCORE) {
    return { verdict: 'malicious', score };
  }
  if (findings.some((f) => f.severity === 'high') || score >= SUSPICIOUS_SCORE) {
    return { verdict: 'suspicious', score };
  }
  return { verdict: 'clean', score };
}
