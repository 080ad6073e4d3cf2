/**
 * Pattern rules run on every string of the definition after `normalizeForMatch` (identifiers
 * such as property names are first split into words). Each rule describes one signal; the
 * verdict comes from how signals add up and combine (see verdict.ts), so single weak signals
 * that ordinary descriptions also show are `low` or `medium`.
 */
import type { TextRule } from './text-rule-kit.ts';
import { INSTRUCTION_RULES } from './instruction-rules.ts';
import { SENSITIVE_RULES } from './sensitive-rules.ts';
import { EXFIL_RULES } from './exfil-rules.ts';

export type { TextRule } from './text-rule-kit.ts';
export { SENSITIVE_PATH_RE } from './text-rule-kit.ts';

export const TEXT_RULES: readonly TextRule[] = [...INSTRUCTION_RULES, ...SENSITIVE_RULES, ...EXFIL_RULES];
