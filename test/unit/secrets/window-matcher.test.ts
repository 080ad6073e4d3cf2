import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WindowMatcher, MIN_SAMPLED } from '../../../src/secrets/window-matcher.ts';

function naive(patterns: string[], text: string): string[] {
  const out: string[] = [];
  patterns.forEach((p, i) => {
    for (let at = text.indexOf(p); at >= 0; at = text.indexOf(p, at + 1)) out.push(`${i}:${at}`);
  });
  return out.sort();
}

function found(m: WindowMatcher, text: string): string[] {
  const out: string[] = [];
  m.scan(text, (p, s) => {
    out.push(`${p}:${s}`);
  });
  return out.sort();
}

describe('WindowMatcher (sampled q-grams + Aho–Corasick for short patterns)', () => {
  it('finds long and short patterns at every offset, overlapping ones included', () => {
    const long = 'abcdefghijklmnopqrstuvwxyz';
    const m = new WindowMatcher([long, 'xyzab', long.slice(3, 3 + MIN_SAMPLED)]);
    for (let pad = 0; pad < 20; pad++) {
      const text = '.'.repeat(pad) + long + long;
      assert.deepEqual(
        found(m, text),
        naive([long, 'xyzab', long.slice(3, 3 + MIN_SAMPLED)], text),
        `pad ${pad}`,
      );
    }
  });

  it('code units above 255 (whose low bytes collide) are verified on the text', () => {
    const p = 'ĀāĂăĄąĆćĈĉĊċČčĎď'; // low bytes 00..0f
    const decoy = String.fromCharCode(...[...p].map((c) => c.charCodeAt(0) & 0xff));
    const m = new WindowMatcher([p]);
    assert.equal(m.test(decoy + decoy), false);
    assert.equal(m.test(`x${p}y`), true);
  });

  it('stops when onMatch returns true; rejects empty patterns', () => {
    const p = 'a-long-random-pattern-1234';
    const m = new WindowMatcher([p]);
    let n = 0;
    m.scan(p + p + p, () => ++n === 2);
    assert.equal(n, 2);
    assert.throws(() => new WindowMatcher(['']), TypeError);
  });

  it('agrees with a naive search on texts around the sampled minimum length (short-text fast path)', () => {
    const patterns = [14, 15, 16, 17].map((n) => 'qwertyuiopasdfghjkl'.slice(0, n));
    const m = new WindowMatcher(patterns);
    for (const p of patterns) {
      for (const t of [p, p.slice(1), p.slice(0, -1), `x${p}`, `${p}x`, '', 'x']) {
        for (let k = 0; k <= t.length; k++) {
          assert.deepEqual(found(m, t.slice(0, k)), naive(patterns, t.slice(0, k)), t.slice(0, k));
        }
      }
    }
  });

  it('agrees with a naive search on random patterns and text (property)', () => {
    const alpha = fc.constantFrom('a', 'b', 'c', '\u00e9', '\u0161', '\ud83d', '\ude00', 'a\u0100'.charAt(1));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: alpha, minLength: 1, maxLength: 30 }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.string({ unit: alpha, maxLength: 300 }),
        fc.nat(20),
        (patterns, text, pad) => {
          const t = 'z'.repeat(pad) + text + patterns.join('') + text;
          assert.deepEqual(found(new WindowMatcher(patterns), t), naive(patterns, t));
        },
      ),
      { numRuns: 400 },
    );
  });
});
