import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseStrictJson } from '../../../src/gateway/index.ts';
import { prng } from '../../fixtures/jsonrpc/corpus.ts';
import {
  anyString,
  jsonValueArb,
  nesting,
  render,
  renderNumber,
  renderString,
  sameJson,
  withoutForbidden,
} from './json-oracle.ts';

/** Seeded runs: a failure prints the seed and the shrunk counterexample, and replays from them. */
const SEED = Number(process.env.WARDEN_FC_SEED ?? 0x5eed1);
const opts = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns, verbose: 1 });
const rejection = (text: string, depth = 64): string => {
  try {
    parseStrictJson(text, depth);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('parseStrictJson against JSON.parse (THREATS RPC-12, RPC-13, RPC-15, G-FUZ-1)', () => {
  it('[RPC-15] gives the value JSON.parse gives for any JSON text without duplicate or forbidden keys', () => {
    fc.assert(
      fc.property(jsonValueArb, fc.integer(), (v, seed) => {
        const text = render(v, prng(seed));
        const expected: unknown = JSON.parse(text);
        assert.ok(sameJson(expected, withoutForbidden(v)), 'the renderer is value-preserving');
        const got = parseStrictJson(text, 64).value;
        assert.ok(sameJson(got, expected), `${text} → ${JSON.stringify(got)}`);
      }),
      opts(3000),
    );
  });

  it('[RPC-15] creates every object with a null prototype', () => {
    const { value } = parseStrictJson('{"a":{"b":[{"c":{}}]}}');
    const a = (value as { a: { b: { c: object }[] } }).a;
    for (const o of [value, a, a.b[0], a.b[0]!.c]) assert.equal(Object.getPrototypeOf(o), null);
  });

  it('[RPC-15] agrees with JSON.parse on number spellings, and refuses exactly the non-finite ones', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 25 });
    const numberText = fc
      .tuple(
        fc.boolean(),
        digits,
        fc.option(digits),
        fc.option(fc.tuple(fc.constantFrom('e', 'E', 'e+', 'E-', 'e-'), fc.integer({ min: 0, max: 500 }))),
      )
      .map(([neg, int, frac, exp]) => {
        const i = int.replace(/^0+(?=\d)/, '');
        return `${neg ? '-' : ''}${i}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `${exp[0]}${exp[1]}`}`;
      });
    fc.assert(
      fc.property(numberText, (t) => {
        const expected = JSON.parse(t) as number;
        if (!Number.isFinite(expected)) assert.match(rejection(`[${t}]`), /number out of range/, t);
        else assert.ok(Object.is(parseStrictJson(t).value, expected), t);
      }),
      opts(3000),
    );
    for (const t of ['1e400', '-1e400', '1' + '0'.repeat(400)]) assert.match(rejection(t), /out of range/);
    for (const t of ['01', '+1', '1.', '.5', '0x1', 'NaN', 'Infinity', '-', '1e', '1e+', '--1']) {
      assert.throws(() => JSON.parse(t));
      assert.notEqual(rejection(t), 'accepted', t);
    }
  });

  it('[RPC-15] agrees with JSON.parse on strings, including escapes, NUL and lone surrogates', () => {
    fc.assert(
      fc.property(anyString, fc.integer(), (s, seed) => {
        const text = renderString(s, prng(seed), seed % 2 === 0);
        assert.equal(JSON.parse(text), s);
        assert.equal(parseStrictJson(text).value, s, text);
      }),
      opts(3000),
    );
  });

  it('[RPC-15] refuses whatever JSON.parse refuses (control characters, bad escapes, trailing data)', () => {
    const bad = fc.string({
      unit: fc.constantFrom(...'{}[]",:\\ \t\n01-.eEtrufalsn\u0000\u001fx/'),
      maxLength: 16,
    });
    fc.assert(
      fc.property(bad, (t) => {
        let ok = true;
        try {
          JSON.parse(t);
        } catch {
          ok = false;
        }
        const strict = rejection(t);
        if (!ok) assert.notEqual(strict, 'accepted', t);
        else if (strict !== 'accepted') assert.match(strict, /duplicate key|out of range/, t);
      }),
      opts(20000),
    );
  });

  it('[RPC-12] refuses a duplicate key at any depth, however the key is spelled', () => {
    fc.assert(
      fc.property(anyString, fc.integer({ min: 0, max: 20 }), fc.integer(), (k, depth, seed) => {
        const r = prng(seed);
        let text = `{${renderString(k, r)}:1,${renderString(k, r)}:2}`;
        for (let d = 0; d < depth; d++) text = r() < 0.5 ? `[0,${text}]` : `{"d${d}":${text}}`;
        assert.match(rejection(text), /duplicate key/, text);
      }),
      opts(2000),
    );
  });

  it('[RPC-13] refuses __proto__, constructor and prototype keys at any depth, escaped or not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('__proto__', 'constructor', 'prototype'),
        fc.integer({ min: 0, max: 20 }),
        fc.integer(),
        (k, depth, seed) => {
          const r = prng(seed);
          let text = `{"ok":1,${renderString(k, r)}:{"polluted":1}}`;
          for (let d = 0; d < depth; d++) text = r() < 0.5 ? `[${text}]` : `{"p${d}":${text}}`;
          assert.match(rejection(text), /forbidden key/, text);
        },
      ),
      opts(2000),
    );
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  it('[RPC-15] enforces the depth limit at exactly the boundary, for arrays and objects', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), (max, seed) => {
        const r = prng(seed);
        const opens: string[] = [];
        for (let d = 0; d < max + 1; d++) opens.push(r() < 0.5 ? '[' : '{"k":');
        const build = (n: number): string => {
          const o = opens.slice(0, n);
          return (
            o.join('') +
            '0' +
            o
              .reverse()
              .map((x) => (x === '[' ? ']' : '}'))
              .join('')
          );
        };
        const atLimit = build(max);
        assert.equal(nesting(JSON.parse(atLimit)), max);
        assert.ok(sameJson(parseStrictJson(atLimit, max).value, JSON.parse(atLimit)));
        assert.match(rejection(build(max + 1), max), /nesting deeper/);
      }),
      opts(500),
    );
  });

  it('[RPC-5] keeps the exact source text of the top-level id, and only of the top level', () => {
    const idText = fc.oneof(
      fc.tuple(anyString, fc.integer()).map(([s, seed]) => renderString(s, prng(seed))),
      fc
        .tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer())
        .map(([n, seed]) => renderNumber(n, prng(seed))),
      fc.tuple(jsonValueArb, fc.integer()).map(([v, seed]) => render(v, prng(seed))),
    );
    fc.assert(
      fc.property(idText, jsonValueArb, fc.integer(), (id, other, seed) => {
        const r = prng(seed);
        const rest = render({ method: 'm', params: { id: other } }, r);
        const inner = rest.slice(1, -1);
        const text = r() < 0.5 ? `{ "id" :\t${id} ,${inner}}` : `{${inner},"id":${id}\n}`;
        assert.equal(parseStrictJson(text).rawId, id);
        assert.equal(parseStrictJson(`[${text}]`).rawId, undefined);
        assert.equal(parseStrictJson(rest).rawId, undefined);
      }),
      opts(3000),
    );
  });
});
