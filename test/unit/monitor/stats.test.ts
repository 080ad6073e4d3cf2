import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EMPTY_WELFORD, jensenShannon, welfordAdd, welfordStd } from '../../../src/monitor/index.ts';

describe('monitor stats', () => {
  it('Welford matches the two-pass mean and sample deviation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 200 }),
        (xs) => {
          const w = xs.reduce(welfordAdd, EMPTY_WELFORD);
          const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
          const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
          assert.ok(Math.abs(w.mean - mean) <= 1e-6 * Math.max(1, Math.abs(mean)));
          assert.ok(Math.abs(welfordStd(w) - sd) <= 1e-6 * Math.max(1, sd));
        },
      ),
    );
  });

  it('Jensen–Shannon is 0 for identical mixes, 1 for disjoint ones, and symmetric', () => {
    assert.equal(jensenShannon({ a: 2, b: 2 }, { a: 10, b: 10 }), 0);
    assert.equal(jensenShannon({ a: 5 }, { b: 5 }), 1);
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat(50)),
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'e'), fc.nat(50)),
        (p, q) => {
          const d = jensenShannon(p, q);
          assert.ok(d >= 0 && d <= 1);
          assert.ok(Math.abs(d - jensenShannon(q, p)) < 1e-12);
        },
      ),
    );
  });
});
