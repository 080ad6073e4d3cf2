/**
 * Test oracles for the gateway's JSON edge, written independently of src/gateway/strict-json.ts:
 * a randomized JSON renderer (escapes, whitespace and number spellings vary but the value does
 * not), a deep equality that distinguishes -0 and ignores prototypes, and a scanner that finds
 * the source text of the top-level `id` members of a valid JSON text.
 */
import fc from 'fast-check';

export const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** A string unit that also yields lone surrogates (fast-check's 'binary' never does). */
export const anyUnit = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 6 },
  { arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), weight: 1 },
  { arbitrary: fc.constantFrom('"', '\\', '/', '\u2028', '\ufeff', '\u0000'), weight: 1 },
);
export const anyString = fc.string({ unit: anyUnit, maxLength: 12 });
export const jsonValueArb = fc.jsonValue({ maxDepth: 5, stringUnit: anyUnit });

const WS = [' ', '\t', '\n', '\r'];
function ws(r: () => number): string {
  let s = '';
  while (r() < 0.2) s += WS[Math.floor(r() * 4)];
  return s;
}

const SHORT: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

export function renderString(s: string, r: () => number, splitPairs = false): string {
  let out = '"';
  // By code point unless `splitPairs`: a surrogate pair is written raw or fully escaped, never
  // half and half (a half-escaped pair would not survive UTF-8 encoding on the way to a gateway).
  for (const ch of splitPairs ? s.split('') : s) {
    const c = ch.charCodeAt(0);
    const must = c < 0x20 || ch === '"' || ch === '\\';
    const roll = r();
    if (!must && roll < 0.6) out += ch;
    else if (SHORT[ch] !== undefined && roll < 0.8) out += SHORT[ch];
    else if (ch === '/' && roll < 0.9) out += '\\/';
    else {
      const upper = r() < 0.5;
      for (const unit of ch.split('')) {
        const hex = unit.charCodeAt(0).toString(16).padStart(4, '0');
        out += '\\u' + (upper ? hex.toUpperCase() : hex);
      }
    }
  }
  return out + '"';
}

export function renderNumber(n: number, r: () => number): string {
  if (Object.is(n, -0)) return r() < 0.5 ? '-0' : '-0.0e0';
  const base = String(n);
  if (!Number.isInteger(n) || Math.abs(n) >= 1e21) return base;
  const roll = r();
  if (roll < 0.7) return base;
  if (roll < 0.8) return `${base}.0`;
  if (roll < 0.9) return `${base}e0`;
  return `${base}E+00`;
}

/** Renders a JSON value (forbidden keys dropped) with randomized but value-preserving spelling. */
export function render(v: unknown, r: () => number): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return renderNumber(v, r);
  if (typeof v === 'string') return renderString(v, r);
  if (Array.isArray(v)) return `[${ws(r)}${v.map((x) => render(x, r) + ws(r)).join(`,${ws(r)}`)}]`;
  const members = Object.entries(v as Record<string, unknown>)
    .filter(([k]) => !FORBIDDEN.has(k))
    .map(([k, x]) => `${ws(r)}${renderString(k, r)}${ws(r)}:${ws(r)}${render(x, r)}${ws(r)}`);
  return `{${members.join(',')}${members.length === 0 ? ws(r) : ''}}`;
}

/** The value `render` denotes (forbidden keys dropped), to compare against a parse. */
export function withoutForbidden(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutForbidden);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!FORBIDDEN.has(k)) out[k] = withoutForbidden(x);
  return out;
}

/** Deep equality for JSON values: numbers by Object.is (so -0 ≠ 0), key order, prototypes ignored. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Depth as the gateway counts it: each array or object level is one. */
export function nesting(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const kids = Array.isArray(v) ? v : Object.values(v);
  return 1 + kids.reduce<number>((m, x) => Math.max(m, nesting(x)), 0);
}

/**
 * For a text that JSON.parse accepts: the exact source text of the top-level object's `id`
 * member (`top`) and, for a top-level array, of each element object's `id` (`elements`).
 */
export function idSpans(text: string): { top?: string; elements?: (string | undefined)[] } {
  const s = new Scanner(text);
  s.ws();
  if (text[s.i] === '{') return { top: s.objectId() };
  if (text[s.i] !== '[') return {};
  const elements: (string | undefined)[] = [];
  s.i++;
  s.ws();
  if (text[s.i] === ']') return { elements };
  for (;;) {
    s.ws();
    if (text[s.i] === '{') elements.push(s.objectId());
    else {
      s.skipValue();
      elements.push(undefined);
    }
    s.ws();
    if (text[s.i++] === ']') return { elements };
  }
}

class Scanner {
  i = 0;
  readonly t: string;
  constructor(t: string) {
    this.t = t;
  }
  ws(): void {
    while (' \t\n\r'.includes(this.t[this.i] ?? 'x')) this.i++;
  }
  skipString(): void {
    this.i++;
    while (this.t[this.i] !== '"') this.i += this.t[this.i] === '\\' ? 2 : 1;
    this.i++;
  }
  skipValue(): void {
    const c = this.t[this.i];
    if (c === '"') return this.skipString();
    if (c === '{' || c === '[') {
      let depth = 0;
      do {
        const d = this.t[this.i];
        if (d === '"') {
          this.skipString();
          continue;
        }
        if (d === '{' || d === '[') depth++;
        if (d === '}' || d === ']') depth--;
        this.i++;
      } while (depth > 0);
      return;
    }
    while (this.i < this.t.length && !',]} \t\n\r'.includes(this.t[this.i]!)) this.i++;
  }
  /** At '{': returns the source text of its `id` member, leaving i after the closing '}'. */
  objectId(): string | undefined {
    let id: string | undefined;
    this.i++;
    for (;;) {
      this.ws();
      if (this.t[this.i] === '}') break;
      const k0 = this.i;
      this.skipString();
      const key = JSON.parse(this.t.slice(k0, this.i)) as string;
      this.ws();
      this.i++; // ':'
      this.ws();
      const v0 = this.i;
      this.skipValue();
      if (key === 'id') id = this.t.slice(v0, this.i);
      this.ws();
      if (this.t[this.i] === ',') this.i++;
    }
    this.i++;
    return id;
  }
}
