/**
 * Structured content: every string (and every object key) in a JSON-like value is redacted,
 * e.g. an MCP tool result's `structuredContent` or a log line's fields. Non-JSON leaves
 * (numbers, booleans, null) are kept; anything else (functions, symbols) becomes null.
 */
import { applyFindings } from './redactor.ts';
import type { RawMatch, Redactor } from './redactor.ts';

export interface JsonFinding {
  /** JSON pointer (RFC 6901) to the string that held the secret. */
  readonly path: string;
  readonly ruleId: string;
}

export interface RedactJsonResult<T = unknown> {
  readonly value: T;
  readonly findings: readonly JsonFinding[];
}

const MAX_DEPTH = 256;

/** One walk's state: the pointer is kept as segments and only joined for a finding. */
interface Walk {
  readonly r: Redactor;
  readonly findings: JsonFinding[];
  readonly path: (string | number)[];
  readonly known: RawMatch[] | undefined;
}

/**
 * `known`, when given, also receives every known-value match in every string and key (what
 * `redactor.matchKnown` returns for each), from the same scan that redacts.
 */
export function redactJson<T>(redactor: Redactor, value: T, known?: RawMatch[]): RedactJsonResult<T> {
  const w: Walk = { r: redactor, findings: [], path: [], known };
  const out = walk(w, value, 0);
  return { value: out as T, findings: w.findings };
}

function pointer(path: readonly (string | number)[]): string {
  let s = '';
  for (const seg of path) s += `/${typeof seg === 'number' ? seg : escapePointer(seg)}`;
  return s;
}

/** The string with its findings replaced, recording each finding at the current pointer. */
function redactString(w: Walk, s: string): string {
  const found = w.r.find(s, w.known);
  if (found.length === 0) return s;
  const path = pointer(w.path);
  for (const f of found) w.findings.push({ path, ruleId: f.ruleId });
  return applyFindings(s, found);
}

/**
 * Copy on write: a string, array or object without a finding inside is returned as it is (the
 * same reference), so a clean result costs one pass and no allocation.
 */
function walk(w: Walk, v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new RangeError('value nested too deeply to redact');
  if (typeof v === 'string') return redactString(w, v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      w.path.push(i);
      const y = walk(w, x, depth + 1);
      w.path.pop();
      if (y !== x && out === undefined) out = v.slice(0, i);
      out?.push(y);
    }
    return out ?? v;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i]!;
      const found = w.r.find(k, w.known);
      const keyText = found.length === 0 ? k : applyFindings(k, found);
      w.path.push(keyText);
      if (found.length > 0) {
        const path = pointer(w.path);
        for (const f of found) w.findings.push({ path, ruleId: f.ruleId });
      }
      const y = walk(w, x, depth + 1);
      w.path.pop();
      if (out === undefined && (y !== x || keyText !== k)) {
        out = {};
        for (let j = 0; j < i; j++) define(out, entries[j]![0], entries[j]![1]);
      }
      if (out !== undefined) define(out, keyText, y);
    }
    // A plain JSON object is returned as is; anything else (a class instance) was never JSON.
    return (
      out ??
      (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null ? v : copy(entries))
    );
  }
  return null;
}

/** defineProperty: a `__proto__` key stays an own property instead of setting the prototype. */
function define(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function copy(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) define(out, k, x);
  return out;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The exfiltration check on tool-call arguments (issue 5 part 6, EX-6 per call): true when a
 * known secret appears in any string or key of `input`, in any encoding the redactor knows.
 * The canonical JSON text is checked as well, so a secret in a JSON-escaped form that only
 * appears once serialised is caught too.
 */
export function containsSecret(redactor: Redactor, input: unknown): boolean {
  if (typeof input === 'string') return redactor.containsKnown(input);
  if (anyString(input, (s) => redactor.containsKnown(s), 0)) return true;
  // With no known values containsKnown is false for any text: skip serialising.
  if (redactor.maxPatternLength === 0) return false;
  let serialised: string | undefined;
  try {
    serialised = JSON.stringify(input);
  } catch {
    return false;
  }
  return serialised !== undefined && redactor.containsKnown(serialised);
}

function anyString(v: unknown, test: (s: string) => boolean, depth: number): boolean {
  if (depth > MAX_DEPTH) throw new RangeError('value nested too deeply to check');
  if (typeof v === 'string') return test(v);
  if (Array.isArray(v)) return v.some((x) => anyString(x, test, depth + 1));
  if (v !== null && typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).some(
      ([k, x]) => test(k) || anyString(x, test, depth + 1),
    );
  }
  return false;
}
