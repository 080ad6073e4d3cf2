/** SB-1/SB-2 groundwork: the sampled known-value matcher finds exactly what a naive search finds. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SampledMatcher, SAMPLED_MIN_LENGTH } from '../../../src/secrets/sampled-matcher.ts';
import { createRedactor } from '../../../src/secrets/index.ts';

function naive(patterns: readonly string[], text: string): string[] {
  const out: string[] = [];
  patterns.forEach((p, i) => {
    for (let s = text.indexOf(p); s >= 0; s = text.indexOf(p, s + 1)) out.push(`${i}:${s}`);
  });
  return out.sort();
}

function found(m: SampledMatcher, text: string, patterns: readonly string[]): string[] {
  const out: string[] = [];
  m.scan(text, (p, s, e) => {
    assert.equal(text.slice(s, e), patterns[p]);
    out.push(`${p}:${s}`);
  });
  return out.sort();
}

describe('SampledMatcher', () => {
  it('refuses patterns shorter than its minimum', () => {
    assert.throws(() => new SampledMatcher(['short']), /at least 8/);
    assert.throws(() => new SampledMatcher(['x'.repeat(SAMPLED_MIN_LENGTH - 1)]), RangeError);
  });

  it('finds a pattern at the very start, the very end and overlapping itself', () => {
    const m = new SampledMatcher(['abababab', 'z'.repeat(34)]);
    const text = 'abababababab' + 'z'.repeat(40);
    assert.deepEqual(found(m, text, ['abababab', 'z'.repeat(34)]), naive(['abababab', 'z'.repeat(34)], text));
  });

  it('agrees with a naive search on periodic patterns over a tiny alphabet, every length group (property)', () => {
    const alpha = fc.constantFrom('a', 'b', 'c');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: alpha, minLength: 8, maxLength: 140 }), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.array(
          fc.oneof(fc.nat(9), fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x'), maxLength: 12 })),
          {
            maxLength: 20,
          },
        ),
        (patterns, pieces) => {
          // text made of whole patterns, pattern fragments and noise, so matches are frequent
          const text = pieces
            .map((x) => (typeof x === 'number' ? (patterns[x % patterns.length] ?? '') : x))
            .join('');
          const m = new SampledMatcher(patterns);
          assert.deepEqual(found(m, text, patterns), naive(patterns, text));
          assert.equal(m.test(text), naive(patterns, text).length > 0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('agrees with a naive search on random secrets planted at every offset of random base64 text (property)', () => {
    const b64 = fc.constantFrom(
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split(''),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: b64, minLength: 8, maxLength: 100 }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.string({ unit: b64, maxLength: 300 }),
        fc.nat(),
        (patterns, noise, at) => {
          const p = patterns[at % patterns.length]!;
          const cut = at % (noise.length + 1);
          const text = noise.slice(0, cut) + p + noise.slice(cut);
          const m = new SampledMatcher(patterns);
          const got = found(m, text, patterns);
          assert.deepEqual(got, naive(patterns, text));
          assert.ok(got.includes(`${at % patterns.length}:${cut}`));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('stops at the first match when asked', () => {
    const m = new SampledMatcher(['needle-one', 'needle-two']);
    let n = 0;
    m.scan('needle-one needle-two needle-one', () => {
      n++;
      return true;
    });
    assert.equal(n, 1);
  });

  it('the redactor splits known values between it and Aho–Corasick and still finds both', () => {
    const r = createRedactor({ values: ['tiny', 'a-long-enough-secret-value'] });
    const out = r.redact('x tiny y a-long-enough-secret-value z');
    assert.equal(out.text, 'x [REDACTED:secret:value] y [REDACTED:secret:value] z');
    assert.deepEqual(
      r.matchKnown('a-long-enough-secret-value tiny').map((f) => f.start),
      [0, 27],
    );
  });
});
