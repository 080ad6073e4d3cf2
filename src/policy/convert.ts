/**
 * JSON → Cedar value conversion for `context.args` (and `grant`, `taint`). Total: it never throws,
 * whatever it is given (cycles, getters that throw, proxies, 10⁵-deep nesting). Rules:
 *
 * - booleans and strings stay as they are;
 * - integers in ±(2⁵³−1) become Long; other finite numbers with at most 4 fractional digits in
 *   Cedar's decimal range become `decimal`; every other number becomes its JS string (`"1e+400"`
 *   cannot occur from JSON.parse, `"0.30000000000000004"`, `"1e+21"` can);
 * - arrays become Sets (order and duplicates are lost: Cedar has no lists);
 * - plain objects become Records built on a null prototype, so `__proto__`, `constructor` and
 *   `prototype` are ordinary attribute names and can never pollute a prototype (THREATS RPC-13);
 * - `null`, `undefined`, functions and symbols are dropped (from records and sets);
 * - keys `__entity`, `__extn` and `__expr` are dropped: Cedar's JSON format would otherwise read
 *   them as entity references or extension values (an argument could forge an entity);
 * - strings with lone surrogates cannot cross into Cedar: they are replaced with U+FFFD and an
 *   issue is reported, as are values nested deeper than {@link MAX_DEPTH} or larger than
 *   {@link MAX_NODES}. The engine denies a request whose conversion reported any issue.
 */
import type { CedarValueJson } from './cedar.ts';

export const MAX_DEPTH = 64;
export const MAX_NODES = 100_000;
/** Cedar `decimal` is an i64 with 4 fractional digits. */
const DECIMAL_LIMIT = 922_337_203_685_477;
const RESERVED_KEYS = new Set(['__entity', '__extn', '__expr']);
// A lone high surrogate not followed by a low one, or a lone low surrogate.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

export interface Conversion {
  /** `undefined` when the input itself is dropped (null, undefined, function, symbol). */
  readonly value: CedarValueJson | undefined;
  /** Why the conversion is lossy in a way that must fail closed; empty when it is exact. */
  readonly issues: readonly string[];
}

interface Walk {
  nodes: number;
  issues: Set<string>;
}

export function jsonToCedar(input: unknown): Conversion {
  const walk: Walk = { nodes: 0, issues: new Set() };
  let value: CedarValueJson | undefined;
  try {
    value = convert(input, 0, walk);
  } catch {
    // A throwing getter or proxy trap: the value cannot be read reliably.
    walk.issues.add('the value could not be read');
    value = undefined;
  }
  return { value, issues: [...walk.issues] };
}

function convert(v: unknown, depth: number, walk: Walk): CedarValueJson | undefined {
  if (++walk.nodes > MAX_NODES) {
    walk.issues.add(`more than ${MAX_NODES} values`);
    return undefined;
  }
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return convertString(v, walk);
    case 'number':
      return convertNumber(v);
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v)
        : v.toString();
    case 'object':
      if (v === null) return undefined;
      if (depth >= MAX_DEPTH) {
        walk.issues.add(`nested deeper than ${MAX_DEPTH} levels`);
        return undefined;
      }
      return Array.isArray(v) ? convertArray(v, depth, walk) : convertRecord(v, depth, walk);
    default:
      return undefined; // undefined, function, symbol
  }
}

function convertString(s: string, walk: Walk): string {
  if (!LONE_SURROGATE.test(s)) return s;
  walk.issues.add('a string holds a lone surrogate (not valid Unicode)');
  return s.replace(LONE_SURROGATES, '\uFFFD');
}

export function convertNumber(n: number): CedarValueJson {
  if (Number.isSafeInteger(n)) return n === 0 ? 0 : n; // -0 → 0
  if (Number.isFinite(n) && Math.abs(n) <= DECIMAL_LIMIT) {
    const text = String(n);
    if (/^-?\d+\.\d{1,4}$/.test(text)) return { __extn: { fn: 'decimal', arg: text } };
  }
  return String(n);
}

function convertArray(a: readonly unknown[], depth: number, walk: Walk): CedarValueJson[] {
  const out: CedarValueJson[] = [];
  const n = a.length;
  for (let i = 0; i < n; i++) {
    const c = convert(a[i], depth + 1, walk);
    if (c !== undefined) out.push(c);
    if (walk.nodes > MAX_NODES) break;
  }
  return out;
}

function convertRecord(o: object, depth: number, walk: Walk): { [key: string]: CedarValueJson } {
  const out = Object.create(null) as { [key: string]: CedarValueJson };
  for (const key of Object.keys(o)) {
    if (RESERVED_KEYS.has(key)) continue;
    const c = convert((o as Record<string, unknown>)[key], depth + 1, walk);
    if (c === undefined) continue;
    // defineProperty, not assignment: `out['__proto__'] = …` would be a prototype write.
    Object.defineProperty(out, convertString(key, walk), {
      value: c,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    if (walk.nodes > MAX_NODES) break;
  }
  return out;
}
