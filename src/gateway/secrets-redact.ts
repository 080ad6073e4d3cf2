/**
 * Keeping secrets out of what leaves the gateway: upstream output (results, errors, lists,
 * notifications) and upstream stderr. Known values are found in every encoding the redactor
 * knows; pattern rules catch secrets the broker does not hold.
 */
import type { Logger } from '../core/index.ts';
import { applyFindings, redactJson } from '../secrets/index.ts';
import type { JsonFinding, RawMatch, Redactor } from '../secrets/index.ts';
import type { RpcErrorReply } from './pipeline.ts';

/** Every string and key of `value` redacted; findings name the JSON pointer and rule only. */
export function scrub<T>(redactor: Redactor, value: T): { value: T; findings: readonly JsonFinding[] } {
  return redactJson(redactor, value);
}

/**
 * The names of known secrets found anywhere in `value` (strings, keys, and the serialised JSON,
 * so an escape-only form is caught too), in any encoding. Empty when clean.
 */
export function secretsIn(redactor: Redactor, value: unknown): string[] {
  const names = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 256) throw new RangeError('value nested too deeply to check');
    if (typeof v === 'string') {
      for (const m of redactor.matchKnown(v)) names.add(m.name);
    } else if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        visit(k, depth + 1);
        visit(x, depth + 1);
      }
    }
  };
  visit(value, 0);
  addSerialised(redactor, value, names);
  return [...names].sort();
}

/**
 * `scrub(value)` and `secretsIn(value)` in one walk (tool-call arguments: the audit copy and the
 * exfiltration check): every string and key is scanned once, its known-value matches naming
 * the secrets and its merged findings redacting the copy.
 */
export function scrubAndFindSecrets<T>(
  redactor: Redactor,
  value: T,
): { value: T; findings: readonly JsonFinding[]; secrets: string[] } {
  const known: RawMatch[] = [];
  const r = redactJson(redactor, value, known);
  const names = new Set<string>();
  for (const m of known) names.add(m.name);
  addSerialised(redactor, value, names);
  return { value: r.value, findings: r.findings, secrets: names.size === 0 ? [] : [...names].sort() };
}

/** Adds the known secrets in `value`'s JSON text (escape-only forms, forms across strings). */
function addSerialised(redactor: Redactor, value: unknown, names: Set<string>): void {
  // With no known values (maxPatternLength 0) matchKnown finds nothing in any text: skip serialising.
  if (redactor.maxPatternLength === 0) return;
  let serialised: string | undefined;
  try {
    serialised = JSON.stringify(value);
  } catch {
    serialised = undefined;
  }
  if (serialised !== undefined) for (const m of redactor.matchKnown(serialised)) names.add(m.name);
}

/** The rule ids of findings, without duplicates (what logs and audit rows may say). */
export function rulesOf(findings: readonly { ruleId: string }[]): string[] {
  return [...new Set(findings.map((f) => f.ruleId))].sort();
}

/** A JSON-RPC reply with every string of its result or error redacted (the last net before the client). */
export function redactReply<R extends { result: unknown } | { error: RpcErrorReply }>(
  redactor: Redactor,
  reply: R,
): R {
  if ('result' in reply) {
    const r = redactJson(redactor, reply.result);
    return r.findings.length === 0 ? reply : { ...reply, result: r.value };
  }
  const r = redactJson(redactor, reply.error);
  return r.findings.length === 0 ? reply : { ...reply, error: r.value };
}

/**
 * Upstream stderr → debug log lines, each complete line redacted with the current redactor (a
 * secret split across chunks is still found: chunks are joined into lines first). A line longer
 * than 64 KiB is released in parts that never cut through a match. Log lines are capped at
 * 2,000 characters.
 */
export function stderrLogger(current: () => Redactor, log: Logger, server: string): (chunk: string) => void {
  const MAX = 64 * 1024;
  let buf = '';
  const out = (text: string): void => {
    if (text.trim() !== '') log.debug('upstream stderr', { server, text: text.slice(0, 2000) });
  };
  return (chunk) => {
    buf += chunk;
    const r = current();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      out(r.redact(buf.slice(0, nl)).text);
      buf = buf.slice(nl + 1);
    }
    if (buf.length > MAX) {
      let cut = buf.length - r.holdback;
      const found = r.find(buf);
      for (const f of found) if (f.start < cut && f.end > cut) cut = f.start;
      if (cut > 0) {
        out(
          applyFindings(
            buf.slice(0, cut),
            found.filter((f) => f.end <= cut),
          ),
        );
        buf = buf.slice(cut);
      }
    }
  };
}
