import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AhoCorasick } from '../../../src/secrets/index.ts';

function naive(patterns: string[], text: string): string[] {
  const out: string[] = [];
  patterns.forEach((p, i) => {
    for (let at = text.indexOf(p); at >= 0; at = text.indexOf(p, at + 1)) out.push(`${i}:${at}`);
  });
  return out.sort();
}

describe('AhoCorasick', () => {
  it('finds overlapping and nested patterns', () => {
    const ac = new AhoCorasick(['he', 'she', 'his', 'hers']);
    const got = ac.findAll('ushers').map((m) => `${m.pattern}:${m.start}:${m.end}`);
    assert.deepEqual(got.sort(), ['0:2:4', '1:1:4', '3:2:6'].sort());
  });

  it('does not report a pattern that is absent', () => {
    const ac = new AhoCorasick(['abcdef']);
    assert.deepEqual(ac.findAll('abcdeabcdxabcde'), []);
    assert.equal(ac.test('abcde'), false);
    assert.equal(ac.test('xxabcdefxx'), true);
  });

  it('rejects empty patterns', () => {
    assert.throws(() => new AhoCorasick(['']), TypeError);
  });

  it('agrees with a naive search on random patterns and text (property)', () => {
    const alpha = fc.constantFrom('a', 'b', 'c', '\u00e9', '\ud83d', '\ude00');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: alpha, minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.string({ unit: alpha, maxLength: 80 }),
        (patterns, text) => {
          const got = new AhoCorasick(patterns).findAll(text).map((m) => `${m.pattern}:${m.start}`);
          assert.deepEqual(got.sort(), naive(patterns, text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with a naive search with short anchors and sparse states (property)', () => {
    const alpha = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: alpha, minLength: 1, maxLength: 9 }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'x'), maxLength: 120 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(0, 10, 40),
        (patterns, text, anchorLength, denseBudget) => {
          const ac = new AhoCorasick(patterns, { anchorLength, denseBudget });
          const got = ac.findAll(text).map((m) => `${m.pattern}:${m.start}`);
          assert.deepEqual(got.sort(), naive(patterns, text));
          assert.equal(ac.test(text), got.length > 0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
