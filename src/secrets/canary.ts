/**
 * Canary mode (issue 5 part 7): the broker plants canary secrets that no tool needs, registers
 * them in the redactor, and `warden secret verify` counts how often any secret or canary shows
 * up in what an agent or operator can read. The target is zero.
 */
import { randomBytes } from 'node:crypto';
import { createRedactor } from './redactor.ts';
import type { KnownSecret } from './redactor.ts';
import type { EncodingId } from './encodings.ts';

export const CANARY_PREFIX = 'wdn_cnry_';

/** `n` fresh canaries named CANARY_1…CANARY_n with 144 random bits each. */
export function plantCanaries(n: number): KnownSecret[] {
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new RangeError('plantCanaries(n): 1 <= n <= 1000');
  return Array.from({ length: n }, (_, i) => ({
    name: `CANARY_${i + 1}`,
    value: CANARY_PREFIX + randomBytes(18).toString('base64url'),
  }));
}

export interface OccurrenceCount {
  readonly total: number;
  readonly byName: Readonly<Record<string, number>>;
  readonly byEncoding: Readonly<Partial<Record<EncodingId, number>>>;
}

/** Counts every occurrence of every secret, in every encoding, across all haystacks. */
export function countOccurrences(
  haystacks: Iterable<string>,
  secrets: readonly KnownSecret[],
): OccurrenceCount {
  const byName: Record<string, number> = {};
  const byEncoding: Partial<Record<EncodingId, number>> = {};
  let total = 0;
  if (secrets.length === 0) return { total, byName, byEncoding };
  const r = createRedactor({ values: secrets });
  for (const h of haystacks) {
    for (const m of r.matchKnown(h)) {
      total++;
      byName[m.name] = (byName[m.name] ?? 0) + 1;
      byEncoding[m.encoding] = (byEncoding[m.encoding] ?? 0) + 1;
    }
  }
  return { total, byName, byEncoding };
}
