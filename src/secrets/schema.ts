/**
 * What a secret name and a secret value must look like (THREATS.md CD-5, SB-4, SB-7).
 */
import { z } from 'zod';
import { SecretsError } from './errors.ts';
import { weakValueReason } from './weak-values.ts';

/**
 * POSIX-identifier-like, upper or lower case, at most 128 chars. No glob or regex
 * metacharacters, so a name can never be a pattern that selects other servers' secrets.
 */
export const SECRET_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const secretNameSchema = z
  .string()
  .regex(
    SECRET_NAME_RE,
    'a secret name is a POSIX identifier ([A-Za-z_][A-Za-z0-9_]*, at most 128 chars): no pattern metacharacters',
  );

export function assertSecretName(name: unknown): string {
  if (typeof name !== 'string' || !SECRET_NAME_RE.test(name)) {
    throw new SecretsError(
      'ERR_SECRET_NAME',
      'invalid secret name: use a POSIX identifier ([A-Za-z_][A-Za-z0-9_]*, at most 128 chars); patterns such as * are not allowed',
    );
  }
  return name;
}

export const MIN_SECRET_LENGTH = 8;
/** Shannon entropy in bits per character that a value must reach. */
export const MIN_ENTROPY_BITS_PER_CHAR = 2.5;
export const MIN_DISTINCT_CHARS = 6;

export type StrengthCheck = { ok: true } | { ok: false; reason: string };

/**
 * SB-7: short or low-entropy values would make the redactor over-match (every "password" or
 * "aaaaaaaa" in any output) and collide with ordinary text, so they are refused; so are common
 * passwords, dressed-up dictionary words and keyboard patterns (weak-values.ts).
 */
export function checkSecretStrength(value: string): StrengthCheck {
  if (typeof value !== 'string') return { ok: false, reason: 'a secret value must be a string' };
  if (value.length < MIN_SECRET_LENGTH) {
    return { ok: false, reason: `a secret must be at least ${MIN_SECRET_LENGTH} characters long` };
  }
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  if (counts.size < MIN_DISTINCT_CHARS) {
    return {
      ok: false,
      reason: `a secret must use at least ${MIN_DISTINCT_CHARS} distinct characters (low entropy)`,
    };
  }
  const n = [...value].length;
  let h = 0;
  for (const c of counts.values()) h -= (c / n) * Math.log2(c / n);
  if (h < MIN_ENTROPY_BITS_PER_CHAR) {
    return {
      ok: false,
      reason: `a secret must reach ${MIN_ENTROPY_BITS_PER_CHAR} bits of entropy per character (low entropy)`,
    };
  }
  const weak = weakValueReason(value);
  if (weak !== undefined) return { ok: false, reason: `a secret must be machine-generated: ${weak.reason}` };
  return { ok: true };
}

export function assertSecretStrength(value: string): void {
  const check = checkSecretStrength(value);
  if (!check.ok) throw new SecretsError('ERR_SECRET_WEAK', `secret refused: ${check.reason}`);
}
