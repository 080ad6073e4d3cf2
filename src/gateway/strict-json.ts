/**
 * A strict JSON parser for bytes that cross the gateway's edges (THREATS §1L, §4):
 * duplicate keys and `__proto__`/`constructor`/`prototype` keys are rejected (RPC-12, RPC-13),
 * nesting is bounded (RPC-15), and the raw source text of top-level `id` is kept so a response
 * echoes it byte for byte (RPC-5). Objects are created with a null prototype.
 *
 * The gateway decides on the parsed object and forwards that same object (re-serialized), never
 * the raw bytes, so the policy engine and the upstream cannot disagree (G-FUZ-2).
 */
export class JsonSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
    this.position = position;
  }
}

export interface StrictParseResult {
  readonly value: unknown;
  /** Raw text of the top-level object's `id` member, if the top level is an object that has one. */
  readonly rawId: string | undefined;
  /** When the top level is an array (a batch): the raw `id` text of each element, in order. */
  readonly elementIds: readonly (string | undefined)[];
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseStrictJson(text: string, maxDepth = 64): StrictParseResult {
  const p = new Parser(text, maxDepth);
  p.ws();
  const value = p.value(0);
  p.ws();
  if (p.i !== text.length) throw new JsonSyntaxError('unexpected data after the JSON value', p.i);
  return { value, rawId: p.rawId, elementIds: p.elementIds };
}

class Parser {
  i = 0;
  rawId: string | undefined;
  readonly elementIds: (string | undefined)[] = [];
  #topIsArray = false;
  readonly s: string;
  readonly maxDepth: number;
  constructor(s: string, maxDepth: number) {
    this.s = s;
    this.maxDepth = maxDepth;
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  value(depth: number): unknown {
    const c = this.s[this.i];
    switch (c) {
      case '{':
        return this.object(depth + 1);
      case '[':
        return this.array(depth + 1);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        throw new JsonSyntaxError(
          c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`,
          this.i,
        );
    }
  }

  literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) throw new JsonSyntaxError('invalid literal', this.i);
    this.i += word.length;
    return v;
  }

  number(): number {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (r === null) throw new JsonSyntaxError('invalid number', this.i);
    this.i += r[0].length;
    const n = Number(r[0]);
    if (!Number.isFinite(n)) throw new JsonSyntaxError('number out of range', this.i - r[0].length);
    return n;
  }

  string(): string {
    const s = this.s;
    let i = this.i + 1;
    let out = '';
    let start = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) throw new JsonSyntaxError('unterminated string', i);
      if (c === 0x22) break;
      if (c < 0x20) throw new JsonSyntaxError('control character in string', i);
      if (c === 0x5c) {
        out += s.slice(start, i);
        const e = s[i + 1];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = s.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError('invalid \\u escape', i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            throw new JsonSyntaxError('invalid escape', i);
        }
        i += 2;
        start = i;
        continue;
      }
      i++;
    }
    out += s.slice(start, i);
    this.i = i + 1;
    return out;
  }

  array(depth: number): unknown[] {
    if (depth > this.maxDepth) throw new JsonSyntaxError(`nesting deeper than ${this.maxDepth}`, this.i);
    if (depth === 1) this.#topIsArray = true;
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (depth === 1) this.elementIds.push(undefined);
      out.push(this.value(depth));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') throw new JsonSyntaxError('expected , or ]', this.i - 1);
    }
  }

  object(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) throw new JsonSyntaxError(`nesting deeper than ${this.maxDepth}`, this.i);
    this.i++;
    const out = Object.create(null) as Record<string, unknown>;
    const seen = new Set<string>();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw new JsonSyntaxError('expected a string key', this.i);
      const keyPos = this.i;
      const key = this.string();
      if (seen.has(key)) throw new JsonSyntaxError(`duplicate key ${JSON.stringify(key)}`, keyPos);
      if (FORBIDDEN_KEYS.has(key)) throw new JsonSyntaxError(`forbidden key ${JSON.stringify(key)}`, keyPos);
      seen.add(key);
      this.ws();
      if (this.s[this.i++] !== ':') throw new JsonSyntaxError('expected :', this.i - 1);
      this.ws();
      const valueStart = this.i;
      out[key] = this.value(depth);
      if (key === 'id') {
        if (depth === 1) this.rawId = this.s.slice(valueStart, this.i);
        else if (depth === 2 && this.#topIsArray)
          this.elementIds[this.elementIds.length - 1] = this.s.slice(valueStart, this.i);
      }
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') throw new JsonSyntaxError('expected , or }', this.i - 1);
    }
  }
}
