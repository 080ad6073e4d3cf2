/**
 * A Logger that passes every message, field and child binding through the redactor before the
 * wrapped logger sees it (STYLE.md: every log line passes the secret redactor). Takes a
 * redactor or a function returning the current one, so a rotation takes effect at once.
 */
import type { LogFields, Logger } from '../core/index.ts';
import type { Redactor } from './redactor.ts';
import { redactJson } from './redact-json.ts';

export function redactingLogger(logger: Logger, redactor: Redactor | (() => Redactor)): Logger {
  const current = typeof redactor === 'function' ? redactor : () => redactor;
  const msg = (m: string): string => current().redact(String(m)).text;
  const fields = (f: LogFields | undefined): LogFields | undefined =>
    f === undefined ? undefined : (redactJson(current(), toPlain(f)).value as LogFields);
  return {
    debug: (m, f) => logger.debug(msg(m), fields(f)),
    info: (m, f) => logger.info(msg(m), fields(f)),
    warn: (m, f) => logger.warn(msg(m), fields(f)),
    error: (m, f) => logger.error(msg(m), fields(f)),
    child: (b) => redactingLogger(logger.child(fields(b) ?? {}), current),
  };
}

/** Errors and other non-plain values become plain JSON data, so their text is redacted too. */
function toPlain(v: unknown, depth = 0): unknown {
  if (depth > 64) return '[too deep]';
  if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack };
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map((x) => toPlain(x, depth + 1));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toPlain(x, depth + 1);
    return out;
  }
  return v;
}
